using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Cli.Tests;

/// <summary>
/// Every command reaches the daemon through <c>DaemonSocket.Connect</c>, which refuses the per-user simulator socket when
/// someone else's daemon serves it (SO_PEERCRED; the behaviour is tested against a real daemon in the daemon tests'
/// SimulatorDefaultsTests). `keycustody migrate`, which hands the user's existing private keys to the daemon, and `keys
/// accept`/`reject` once connected without it; `migrate` needs a homeserver and secret storage before it connects, so
/// this source check is what keeps a new command from doing the same.
/// </summary>
public sealed class SocketTrustTests
{
    [Fact]
    public void No_command_connects_to_a_daemon_socket_without_the_owner_check()
    {
        var cli = Path.Combine(TestPaths.RepoRoot, "src", "KeyCustody.Cli");
        var direct = Directory.EnumerateFiles(cli, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(f) != "DaemonSocket.cs")
            .Where(f => File.ReadAllText(f).Contains("KeyCustodyClient.ConnectUnix(", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(cli, f))
            .ToList();
        Assert.True(direct.Count == 0, "these connect with KeyCustodyClient.ConnectUnix instead of DaemonSocket.Connect: " + string.Join(", ", direct));
    }
}

/// <summary>
/// The simulator socket's owner is checked on the very connection the client sends on, not only on a connection of its
/// own beforehand: someone who can replace the socket between the two would otherwise get the requests.
/// </summary>
public sealed class PeerCheckTests
{
    [Fact]
    public async Task A_connection_to_a_peer_of_another_uid_is_refused_before_anything_is_sent()
    {
        using var listener = new Listener();
        using var client = DaemonSocket.ConnectRequiringPeer(listener.Path, Me() + 1);
        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await client.Custody.ListKeysAsync(new KeyCustody.Protos.V1.ListKeysRequest(), deadline: DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal(Grpc.Core.StatusCode.Unavailable, e.StatusCode);
        Assert.Contains($"is served by uid {Me()}, not by uid {Me() + 1}", e.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, listener.BytesReceived());
    }

    [Fact]
    public async Task A_connection_to_a_peer_of_the_expected_uid_goes_through()
    {
        using var listener = new Listener();
        using var client = DaemonSocket.ConnectRequiringPeer(listener.Path, Me());
        using var call = client.Custody.ListKeysAsync(new KeyCustody.Protos.V1.ListKeysRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
        // The listener speaks no HTTP/2: what matters is that the client's connection preface reached it.
        await listener.WaitForBytesAsync();
        Assert.True(listener.BytesReceived() > 0);
    }

    private static uint Me() => DaemonSocket.EffectiveUid();

    /// <summary>A Unix socket that accepts connections and counts the bytes sent to it.</summary>
    private sealed class Listener : IDisposable
    {
        private readonly System.Net.Sockets.Socket _socket = new(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        private readonly string _dir = Directory.CreateTempSubdirectory("peer-check-").FullName;
        private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _bytes;

        public Listener()
        {
            Path = System.IO.Path.Combine(_dir, "s.sock");
            _socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path));
            _socket.Listen(8);
            _ = AcceptAsync();
        }

        public string Path { get; }

        public long BytesReceived() => Interlocked.Read(ref _bytes);

        public Task WaitForBytesAsync() => _received.Task.WaitAsync(TimeSpan.FromSeconds(60));

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var connection = await _socket.AcceptAsync();
                    _ = ReadAsync(connection);
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private async Task ReadAsync(System.Net.Sockets.Socket connection)
        {
            using (connection)
            {
                var buffer = new byte[4096];
                try
                {
                    int n;
                    while ((n = await connection.ReceiveAsync(buffer)) > 0)
                    {
                        Interlocked.Add(ref _bytes, n);
                        _received.TrySetResult();
                    }
                }
                catch (System.Net.Sockets.SocketException)
                {
                }
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}

/// <summary>`keycustody status` shows what a token reports (its label in an error, its serial, its description) escaped.</summary>
public sealed class StatusLineTests
{
    [Fact]
    public void Text_a_token_reports_cannot_write_terminal_control_sequences()
    {
        const string Hostile = "\u001b]0;owned\u0007\u001b[2K\rfake2";
        var absent = new KeyCustody.Protos.V1.TokenState { Name = "hsm", Kind = "pkcs11", Present = false, Error = "2 tokens answer: slot 7: \"" + Hostile + "\"" };
        var present = new KeyCustody.Protos.V1.TokenState { Name = "hsm", Kind = "pkcs11", Present = true, Serial = Hostile, Firmware = Hostile, Description = Hostile, PinRetries = -1 };
        foreach (var line in new[] { DaemonCommands.StatusLine(absent), DaemonCommands.StatusLine(present) })
        {
            Assert.DoesNotContain(line, c => c is '\u001b' or '\u0007' or '\r');
            Assert.Contains("owned", line, StringComparison.Ordinal);
        }
    }
}
