using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// A member of the socket's group (a real other uid, whom no rule names) opens more connections than the daemon holds
/// in all and keeps them alive with HTTP/2 PINGs: it keeps only its own share (limits.maxConnectionsPerPeer), the
/// daemon says so in one log line, not one per connection, and root's status still gets through.
/// </summary>
public sealed partial class PeerConnectionCapTests : IAsyncLifetime
{
    private const uint Member = 65534;
    private const int Flood = 1100;
    private readonly DaemonProcess _d = DaemonProcess.Create();

    // Opens the connections, speaks HTTP/2 on each (preface, SETTINGS, PING), counts those the daemon answers rather
    // than closes, prints the count, and then PINGs every second until its stdin closes.
    private const string Flooder = """
        import os, resource, select, socket, sys
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
        ping = bytes([0, 0, 8, 6, 0, 0, 0, 0, 0]) + b"keepopen"
        socks = []
        for i in range(int(sys.argv[2])):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            try:
                s.sendall(hello + ping)
            except OSError:
                pass
            socks.append(s)
        alive = []
        for s in socks:
            p = select.poll()
            p.register(s, select.POLLIN)
            try:
                if p.poll(30000) and s.recv(65536):
                    alive.append(s)
                    continue
            except OSError:
                pass
            s.close()
        print("alive", len(alive), flush=True)
        while not select.select([sys.stdin], [], [], 1)[0]:
            for s in alive:
                try:
                    s.sendall(ping)
                    s.recv(65536, socket.MSG_DONTWAIT)
                except OSError:
                    pass
        """;

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            listen = new { socketGroup = Member.ToString(CultureInfo.InvariantCulture) },
            tokens = new[] { Software(_d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
            limits = new { idleConnectionSeconds = 3600 },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task A_member_holding_more_connections_than_the_daemon_allows_keeps_its_share_and_root_still_gets_status()
    {
        var script = Path.Combine(_d.Root, "flood.py");
        File.WriteAllText(script, Flooder);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var start = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { $"--reuid={Member}", $"--regid={Member}", "--clear-groups", "--", "/usr/bin/python3", script, _d.Socket, Flood.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }

        using var flood = Process.Start(start)!;
        try
        {
            var line = await flood.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(300));
            if (line is null)
            {
                Assert.Fail("the flooder ended: " + await flood.StandardError.ReadToEndAsync());
            }

            Assert.Equal("alive 32", line);

            using var client = _d.Client();
            var status = await client.Admin.TokenStatusAsync(new TokenStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(60));
            Assert.Equal("soft", Assert.Single(status.Tokens).Name);

            // Over a thousand connections refused: one line, naming the peer and the setting.
            Assert.Single(RefusedLine().Matches(_d.Output));
            Assert.Contains("Connection refused: uid:65534 already holds 32 connections (limits.maxConnectionsPerPeer)", _d.Output, StringComparison.Ordinal);
        }
        finally
        {
            flood.StandardInput.Close();
            if (!flood.WaitForExit(30_000))
            {
                flood.Kill();
            }
        }
    }

    [GeneratedRegex("Connection refused: uid:")]
    private static partial Regex RefusedLine();
}
