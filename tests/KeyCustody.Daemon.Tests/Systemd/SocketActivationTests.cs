using System.Diagnostics;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Systemd;

/// <summary>
/// keycustodyd.socket without systemd: systemd's own systemd-socket-activate binds the socket, waits for the first
/// connection and then execs the daemon with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES, as systemd does. The client
/// connects before the daemon exists; the daemon takes the socket, serves on it and leaves it to its owner. A socket
/// that does not match the configuration (path, mode) is refused at start, naming both sides.
/// </summary>
public sealed class SocketActivationTests
{
    [Fact]
    public async Task A_client_that_connected_before_the_daemon_started_is_served_on_the_socket_systemd_passed()
    {
        await using var d = Configured();
        using var notify = new NotifySocket(Path.Combine(d.Root, "notify"));
        d.Environment["NOTIFY_SOCKET"] = notify.Path;
        SocketActivate(d, "0660");

        // StartAsync's first call is the connection that makes systemd-socket-activate exec the daemon.
        await d.StartAsync();
        var (ready, _) = await notify.NextAsync(n => n.Contains("READY=1", StringComparison.Ordinal));
        Assert.StartsWith("serving, 1 of 1 tokens present", NotifySocket.Field(ready, "STATUS"), StringComparison.Ordinal);
        Assert.Contains("the socket systemd passed (keycustodyd;", d.Output, StringComparison.Ordinal);

        using (var client = d.Client())
        {
            Assert.Equal(["srv"], (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Select(k => k.Name));
        }

        await d.StopAsync();
        await notify.NextAsync(n => n.Contains("STOPPING=1", StringComparison.Ordinal));

        // The socket is its owner's (systemd's): the daemon neither made it nor removes it, so clients keep connecting
        // (and wait in its backlog) while the daemon restarts.
        Assert.True(File.Exists(d.Socket), "the daemon removed the socket systemd passed");
    }

    [Fact]
    public async Task A_passed_socket_looser_than_listen_socketMode_is_refused_with_both_modes()
    {
        await using var d = Configured();
        SocketActivate(d, "0666");
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("has mode 0666", output, StringComparison.Ordinal);
        Assert.Contains("listen.socketMode is 0660", output, StringComparison.Ordinal);
        Assert.Contains("SocketMode= and SocketGroup= in keycustodyd.socket", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_passed_socket_owned_by_another_user_is_refused_naming_both_owners()
    {
        await using var d = Configured();
        SocketActivate(d, "0660", owner: 65534);
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"is owned by uid 65534, but only root (uid 0) or keycustodyd's own uid ({Posix.Uid()}) may own it", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_passed_socket_on_another_path_than_listen_unixSocket_is_refused_naming_both()
    {
        await using var d = Configured();
        var configured = d.Socket;
        d.Socket = Path.Combine(d.SocketDirectory, "elsewhere.sock");
        SocketActivate(d, "0660");
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"systemd passed a socket bound to {d.Socket}, but listen.unixSocket is {configured}", output, StringComparison.Ordinal);
    }

    private static DaemonProcess Configured()
    {
        var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        return d;
    }

    /// <summary>
    /// The daemon's start as systemd-socket-activate's child; the socket gets <paramref name="mode"/> once it is bound, as
    /// SocketMode= would give it, before anyone connects. systemd-socket-activate passes only the variables named with -E.
    /// </summary>
    private static void SocketActivate(DaemonProcess d, string mode, uint? owner = null)
    {
        d.BeforeFirstConnection = () =>
        {
            File.SetUnixFileMode(d.Socket, (UnixFileMode)Convert.ToInt32(mode, 8));
            if (owner is { } uid)
            {
                // As SocketUser= would: chown keeps the group.
                Assert.Equal(0, KeyCustody.Tests.Shared.ChildProcess.Run("chown", [uid.ToString(System.Globalization.CultureInfo.InvariantCulture), d.Socket]).ExitCode);
            }
        };
        d.Launcher = daemon =>
        {
            var start = new ProcessStartInfo("systemd-socket-activate") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("--listen=" + d.Socket);
            start.ArgumentList.Add("--fdname=keycustodyd");
            foreach (var (name, value) in daemon.Environment)
            {
                if (value is not null && !name.StartsWith("LISTEN_", StringComparison.Ordinal))
                {
                    start.ArgumentList.Add($"--setenv={name}={value}");
                }
            }

            start.ArgumentList.Add(daemon.FileName);
            foreach (var a in daemon.ArgumentList)
            {
                start.ArgumentList.Add(a);
            }

            return start;
        };
    }
}
