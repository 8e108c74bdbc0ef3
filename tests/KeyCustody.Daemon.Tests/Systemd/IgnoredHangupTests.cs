using System.Diagnostics;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Systemd;

/// <summary>
/// A daemon started with SIGHUP ignored (under nohup, or by a parent that ignores it: a loaded-machine test run started
/// with nohup showed it) still reloads on SIGHUP. .NET keeps an inherited SIG_IGN and never installs the handler a
/// PosixSignalRegistration asks for, so without the daemon undoing it every reload was silently dropped.
/// </summary>
public sealed class IgnoredHangupTests
{
    [Fact]
    public async Task A_daemon_started_under_nohup_reloads_on_sighup()
    {
        await using var d = DaemonProcess.Create();
        using var notify = new NotifySocket(Path.Combine(d.Root, "notify"));
        d.Environment["NOTIFY_SOCKET"] = notify.Path;
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        d.Launcher = UnderNohup;
        await d.StartAsync();

        Assert.Equal(0, Posix.Kill(d.Pid, 1));
        await notify.NextAsync(n => n.StartsWith("RELOADING=1", StringComparison.Ordinal));
        await notify.NextAsync(n => n.Contains("READY=1", StringComparison.Ordinal));
        Assert.Contains("Configuration reloaded: 1 access rules in force", d.Output, StringComparison.Ordinal);
        Assert.Contains("SIGHUP was ignored when the daemon started", d.Output, StringComparison.Ordinal);
    }

    /// <summary>coreutils' nohup: the daemon is exec'd with SIGHUP ignored.</summary>
    private static ProcessStartInfo UnderNohup(ProcessStartInfo daemon)
    {
        var start = new ProcessStartInfo("nohup") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(daemon.FileName);
        foreach (var a in daemon.ArgumentList)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, v) in daemon.Environment)
        {
            start.Environment[name] = v;
        }

        return start;
    }
}
