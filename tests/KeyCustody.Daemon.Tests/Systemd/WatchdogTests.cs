using System.Globalization;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Daemon.Hosting.Systemd;
using KeyCustody.HwSim.Control;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Systemd;

/// <summary>
/// The watchdog against the real daemon, with the test as systemd (WATCHDOG_USEC, a NOTIFY_SOCKET it reads): WATCHDOG=1
/// keeps coming with a token unplugged (not a reason to restart), stops while the audit log's disk is frozen (a hung
/// fsync: every signature waits for it) with STATUS= saying why, and comes back when the disk thaws.
/// </summary>
public sealed class WatchdogTests
{
    private const string Ping = "WATCHDOG=1";
    private const uint Serial = 4_500_001;

    [Fact]
    public async Task Pings_continue_with_a_token_unplugged_and_the_status_says_which()
    {
        await using var d = DaemonProcess.Create();
        using var notify = new NotifySocket(Path.Combine(d.Root, "notify"));
        d.Environment["NOTIFY_SOCKET"] = notify.Path;
        d.Environment["WATCHDOG_USEC"] = "2000000";
        d.Configure(new
        {
            tokens = new object[] { Simulator(d, "yk", Serial, demoKeys: false), Software(d, "soft") },
            keys = new[] { Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();
        Assert.Contains("systemd watchdog: 2 s; WATCHDOG=1 every half of it", d.Output, StringComparison.Ordinal);
        await notify.NextAsync(n => n == Ping);

        ControlClient.Send(Path.Combine(d.StateDirectory, SimulatorControl.FileName), $"unplug serial={Serial}");
        await notify.NextAsync(n => n == "STATUS=serving, 1 of 2 tokens present (yk absent)");
        await notify.NextAsync(n => n == Ping);
        await notify.NextAsync(n => n == Ping);
    }

    [Fact]
    public async Task Pings_stop_while_the_audit_disk_is_frozen_and_resume_when_it_thaws()
    {
        await using var d = DaemonProcess.Create();
        using var disk = new FrozenDisk(d.StateDirectory, Path.Combine(d.Root, "state.img"));
        using var notify = new NotifySocket(Path.Combine(d.Root, "notify"));
        d.Environment["NOTIFY_SOCKET"] = notify.Path;
        d.Environment["WATCHDOG_USEC"] = "2000000";
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        try
        {
            await d.StartAsync();
            using var client = d.Client();
            await Generate(client, "soft", "srv");
            await notify.NextAsync(n => n == Ping);

            disk.Freeze();
            // The intent record cannot reach the disk: the request waits, and so does the audit writer.
            using var waiting = client.Custody.SignJson(SignRequest("srv", JsonObject.Of(("server_name", "example.org"))));
            var signed = Collect(waiting);

            static bool AuditStalled(string n) => n.StartsWith("STATUS=NOT RESPONDING: the audit log has waited", StringComparison.Ordinal);
            await notify.NextAsync(AuditStalled);
            // Three more rounds that found it stalled (the wait grows, so each sends a new STATUS=), and no ping among them.
            for (var round = 0; round < 3; round++)
            {
                var (_, before) = await notify.NextAsync(AuditStalled);
                Assert.DoesNotContain(Ping, before);
            }

            // The log line and the notifications travel separately (stdout, a datagram socket): wait for the line, do not
            // expect it already read (CI once asserted "responsive again" before the test had read it).
            await d.WaitForOutputAsync("Watchdog: not responding (the audit log has waited");

            disk.Thaw();
            await notify.NextAsync(n => n == Ping);
            await notify.NextAsync(n => n.StartsWith("STATUS=serving", StringComparison.Ordinal));
            var (events, error) = await signed;
            Assert.Null(error);
            Assert.Equal(SignEvent.EventOneofCase.Signed, events[^1].EventCase);
            await d.WaitForOutputAsync("Watchdog: responsive again");
        }
        finally
        {
            // A process blocked on a frozen disk cannot be stopped: thaw first, then stop the daemon, then unmount.
            disk.Thaw();
            await d.StopAsync();
        }
    }

    [Fact]
    public void The_interval_is_half_of_WATCHDOG_USEC_and_only_for_the_process_WATCHDOG_PID_names()
    {
        try
        {
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", "30000000");
            Environment.SetEnvironmentVariable("WATCHDOG_PID", null);
            Assert.Equal(TimeSpan.FromSeconds(15), Watchdog.Interval());
            Environment.SetEnvironmentVariable("WATCHDOG_PID", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(TimeSpan.FromSeconds(15), Watchdog.Interval());
            Environment.SetEnvironmentVariable("WATCHDOG_PID", (Environment.ProcessId + 1).ToString(CultureInfo.InvariantCulture));
            Assert.Null(Watchdog.Interval());
            Environment.SetEnvironmentVariable("WATCHDOG_PID", null);
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", "0");
            Assert.Null(Watchdog.Interval());
        }
        finally
        {
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", null);
            Environment.SetEnvironmentVariable("WATCHDOG_PID", null);
        }
    }

    [Fact]
    public async Task A_probe_that_never_answers_is_a_finding_an_answer_of_any_kind_is_not()
    {
        var never = new TaskCompletionSource().Task;
        Assert.False(await WatchdogProbes.Within(TimeSpan.FromMilliseconds(50), never));
        Assert.True(await WatchdogProbes.Within(TimeSpan.FromSeconds(30), Task.FromException(new System.Net.Sockets.SocketException(111))));
        Assert.True(await WatchdogProbes.Within(TimeSpan.FromSeconds(30), Task.CompletedTask));
    }
}
