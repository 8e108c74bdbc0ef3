using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using KeyCustody.Client;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>TCP is served with mutual TLS only; the principal is the client certificate's subject.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly X509Certificate2 _ca = TestCertificates.Ca("CN=KeyCustody test CA");
    private readonly X509Certificate2 _otherCa = TestCertificates.Ca("CN=Someone else's CA");
    private int _port;

    public async Task InitializeAsync()
    {
        using var server = TestCertificates.Issue(_ca, "CN=localhost", serverAuth: true, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPem = Path.Combine(_d.Root, "server.pem");
        var keyPem = Path.Combine(_d.Root, "server.key");
        var caPem = Path.Combine(_d.Root, "clients-ca.pem");
        File.WriteAllText(certPem, server.ExportCertificatePem());
        File.WriteAllText(keyPem, server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyPem, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(caPem, _ca.ExportCertificatePem());
        _port = FreePort();
        _d.Configure(new
        {
            listen = new { tcp = new { endpoint = $"127.0.0.1:{_port}", certificate = certPem, privateKey = keyPem, clientCa = caPem } },
            tokens = new[] { Software(_d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule("cert:CN=bot, O=KeyCustody tests", ["server"], "sign"), Rule(Me, ["*"], "admin") },
        });
        await _d.StartAsync();
        using var local = _d.Client();
        await Generate(local, "soft", "srv");
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
