using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Systemd;

/// <summary>
/// A SIGHUP (systemctl reload) while the real daemon is still starting (its audit log open, its reload handler not yet
/// installed) does not end it: the reload is held and done once the daemon listens. SIGHUPs are sent from the audit
/// log's line until the daemon answers, so some land in that window however fast or slow the machine is.
/// </summary>
public sealed class StartupSignalTests
{
    [Fact]
    public async Task A_sighup_during_start_up_is_held_and_reloads_once_started()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        var started = d.StartAsync();

        // The audit log's line comes well before the listeners and the reload handler.
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!d.Output.Contains("Audit log ", StringComparison.Ordinal) && !started.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.Contains("Audit log ", d.Output, StringComparison.Ordinal);

        // SIGHUPs from then until the daemon answers: some land before the reload handler is installed.
        var sent = 0;
        while (!started.IsCompleted && !d.HasExited)
        {
            Assert.Equal(0, Posix.Kill(d.Pid, 1));
            sent++;
            await Task.Delay(1);
        }

        await started;
        Assert.True(sent > 0);

        Assert.False(d.HasExited);
        deadline = DateTime.UtcNow.AddSeconds(60);
        while (!ReadAudit(d).Any(r => r.GetString("kind") == "config_reload") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.All(ReadAudit(d).Where(r => r.GetString("kind") == "config_reload"), r => Assert.Equal("applied", r.GetString("result")));
    }
}
