using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using KeyCustody.Client;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// TCP is served with mutual TLS only; the principal is the client certificate's subject.
/// These daemons give a TLS handshake 300 s (listen.tcp.handshakeTimeoutSeconds) instead of the default 10: the tests
/// are about who may sign, and on a loaded machine a freshly started daemon's first handshake (cold code on a
/// starved CPU and disk) once took longer than 10 s; the daemon dropped the connection and the client saw
/// UNAVAILABLE instead of PERMISSION_DENIED. <see cref="A_handshake_slower_than_the_handshake_timeout_is_dropped"/>
/// shows that mechanism on purpose.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private const int GenerousHandshakeSeconds = 300;

    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly X509Certificate2 _ca = TestCertificates.Ca("CN=KeyCustody test CA");
    private readonly X509Certificate2 _otherCa = TestCertificates.Ca("CN=Someone else's CA");
    private int _port;

    public async Task InitializeAsync()
    {
        _port = await StartAsync(_d, GenerousHandshakeSeconds);
    }

    /// <summary>A daemon with a software server key and a TLS listener on a free port; returns the port.</summary>
    private async Task<int> StartAsync(DaemonProcess d, int handshakeTimeoutSeconds)
    {
        using var server = TestCertificates.Issue(_ca, "CN=localhost", serverAuth: true, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var (certPem, keyPem, caPem) = TestCertificates.WriteServerFiles(d.Root, server, _ca);
        var port = TestCertificates.FreePort();
        d.Configure(new
        {
            listen = new { tcp = new { endpoint = $"127.0.0.1:{port}", certificate = certPem, privateKey = keyPem, clientCa = caPem, handshakeTimeoutSeconds } },
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule("cert:CN=bot, O=KeyCustody tests", ["server"], "sign"), Rule(Me, ["*"], "admin") },
        });
        await d.StartAsync();

        // The Unix socket answers as soon as its own listener accepts, which can be before the TCP listener is bound
        // (seen on a loaded machine: connection refused); the line comes once every listener is.
        await d.WaitForOutputAsync($"Listening on 127.0.0.1:{port} (mutual TLS)");
        using var local = d.Client();
        await Generate(local, "soft", "srv");
        return port;
    }

    public async Task DisposeAsync()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        await _d.DisposeAsync();
    }

    private KeyCustodyClient Connect(X509Certificate2? client) => KeyCustodyClient.ConnectTls(new Uri($"https://localhost:{_port}"), client, [_ca]);

    [Fact]
    public async Task A_client_certificate_from_the_configured_ca_is_the_principal()
    {
        using var bot = TestCertificates.Issue(_ca, "CN=bot, O=KeyCustody tests", serverAuth: false, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var client = Connect(bot);
        var keys = await client.Custody.ListKeysAsync(new ListKeysRequest());
        Assert.Equal(["sign"], keys.Keys.Single().Operations);
        var signed = await KeyCustodyClient.FollowAsync(client.Custody.SignJson(SignRequest("server", KeyCustody.Matrix.Json.JsonObject.Of(("a", 1L)))), null);
        Assert.Equal("ed25519:1", signed.KeyId);
        var intent = ReadAudit(_d).Single(r => r.GetString("request_id") == signed.RequestId && r.GetString("kind") == "intent");
        Assert.Equal("cert:CN=bot, O=KeyCustody tests", intent.GetString("principal"));
    }

    [Fact]
    public async Task A_certificate_of_another_subject_has_no_rights()
    {
        using var stranger = TestCertificates.Issue(_ca, "CN=stranger", serverAuth: false, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var client = Connect(stranger);
        var (_, error) = await Collect(client.Custody.SignJson(SignRequest("server", KeyCustody.Matrix.Json.JsonObject.Of(("a", 1L)))));
        Assert.Equal(StatusCode.PermissionDenied, error!.StatusCode);
    }

    [Fact]
    public async Task No_certificate_an_expired_one_or_one_from_another_ca_is_refused()
    {
        using var expired = TestCertificates.Issue(_ca, "CN=bot, O=KeyCustody tests", serverAuth: false, DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));
        using var foreign = TestCertificates.Issue(_otherCa, "CN=bot, O=KeyCustody tests", serverAuth: false, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        foreach (var certificate in new[] { null, expired, foreign })
        {
            using var client = Connect(certificate);
            var e = await Assert.ThrowsAsync<RpcException>(() => client.Custody.ListKeysAsync(new ListKeysRequest()).ResponseAsync);

            // Refused in the TLS handshake, never by the service: with TLS 1.3 the client may learn it only when the
            // server drops the connection after the handshake (INTERNAL) instead of during it (UNAVAILABLE). Either
            // way the failure is the transport's (a server-sent status has no exception behind it).
            Assert.True(e.StatusCode is StatusCode.Unavailable or StatusCode.Internal, $"{e.StatusCode}: {e.Status.Detail}");
            Assert.NotNull(e.Status.DebugException);
        }

        Assert.DoesNotContain(ReadAudit(_d), r => r.GetString("principal") is { } p && p.StartsWith("cert:", StringComparison.Ordinal));
    }

    /// <summary>
    /// The flake's mechanism, made deterministic: a client whose handshake takes longer than the daemon allows (here its
    /// ClientHello comes 4 s after the connection, against a 2 s limit; under load it was the daemon's own first handshake
    /// exceeding the default 10 s) loses its connection and sees UNAVAILABLE, never the service's answer. With the limit
    /// above the delay (the class's daemons: 300 s), the same slow client gets its PERMISSION_DENIED.
    /// </summary>
    [Fact]
    public async Task A_handshake_slower_than_the_handshake_timeout_is_dropped()
    {
        await using var strict = DaemonProcess.Create();
        var strictPort = await StartAsync(strict, handshakeTimeoutSeconds: 2);
        using var stranger = TestCertificates.Issue(_ca, "CN=stranger", serverAuth: false, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        using (var slow = SlowClient(strictPort, stranger, TimeSpan.FromSeconds(4)))
        {
            var (_, dropped) = await Collect(new KeyCustody.Protos.V1.Custody.CustodyClient(slow).SignJson(SignRequest("server", KeyCustody.Matrix.Json.JsonObject.Of(("a", 1L)))));
            Assert.Equal(StatusCode.Unavailable, dropped!.StatusCode);
        }

        using (var slow = SlowClient(_port, stranger, TimeSpan.FromSeconds(4)))
        {
            var (_, refused) = await Collect(new KeyCustody.Protos.V1.Custody.CustodyClient(slow).SignJson(SignRequest("server", KeyCustody.Matrix.Json.JsonObject.Of(("a", 1L)))));
            Assert.Equal(StatusCode.PermissionDenied, refused!.StatusCode);
        }
    }

    /// <summary>
    /// A mutual-TLS channel (as <see cref="KeyCustodyClient.ConnectTls"/> makes) whose TLS ClientHello leaves
    /// <paramref name="delay"/> after the TCP connection is accepted: to the daemon, a slow handshake.
    /// </summary>
    private GrpcChannel SlowClient(int port, X509Certificate2 certificate, TimeSpan delay)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, port, cancellation);
                    await Task.Delay(delay, cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        handler.SslOptions.ClientCertificates = [certificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, server, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return server is not null && chain.Build(new X509Certificate2(server));
        };
        return GrpcChannel.ForAddress($"https://localhost:{port}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

}
