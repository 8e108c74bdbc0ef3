using Grpc.Core;
using Grpc.Health.V1;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// A token that disappears (a SoftHSM2 token deleted under the daemon): health goes NOT_SERVING, its key answers
/// UNAVAILABLE, the other tokens keep serving, and logs never carry PINs or payloads.
/// </summary>
public sealed class HealthTests : IAsyncLifetime
{
    private const string Marker = "payload-marker-7f3a9c";
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private SoftHsmTokens _hsm = null!;

    public async Task InitializeAsync()
    {
        _hsm = new SoftHsmTokens(_d.Root);
        _hsm.CreateToken("vanishing");
        _d.Environment["SOFTHSM2_CONF"] = _hsm.ConfigPath;
        _d.Configure(new
        {
            tokens = new object[]
            {
                new { name = "hsm", kind = "pkcs11", module = SoftHsmTokens.Module, tokenLabel = "vanishing", sessions = 1, pin = new { file = SecretFile(_d, "hsm.pin", SoftHsmTokens.UserPin) } },
                Software(_d, "soft"),
            },
            keys = new[]
            {
                Key("hsm-server", "hsm", "srv", "server", owner: "example.org", presence: "none", version: "hsm"),
                Key("soft-server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "soft"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "hsm", "srv");
        await Generate(client, "soft", "srv");
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    private static JsonObject Payload() => JsonObject.Of(("note", Marker), ("n", 1L));

    [Fact]
    public async Task Server_reflection_lists_the_services()
    {
        using var client = _d.Client();
        var reflection = new global::Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(client.Channel);
        using var call = reflection.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));
        await call.RequestStream.WriteAsync(new global::Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("keycustody.v1.Custody", services);
        Assert.Contains("keycustody.v1.Admin", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task A_vanished_token_is_unavailable_and_the_others_keep_serving()
    {
        using var client = _d.Client();
        var health = new Health.HealthClient(client.Channel);
        await WaitForHealth(health, HealthCheckResponse.Types.ServingStatus.Serving);
        Assert.Null((await Collect(client.Custody.SignJson(SignRequest("hsm-server", Payload())))).Error);

        _hsm.DeleteToken("vanishing");
        await WaitForHealth(health, HealthCheckResponse.Types.ServingStatus.NotServing);
        var (_, error) = await Collect(client.Custody.SignJson(SignRequest("hsm-server", Payload())));
        Assert.Equal(StatusCode.Unavailable, error!.StatusCode);

        var (events, other) = await Collect(client.Custody.SignJson(SignRequest("soft-server", Payload())));
        Assert.Null(other);
        Assert.Equal(SignEvent.EventOneofCase.Signed, events[^1].EventCase);

        var status = await client.Admin.TokenStatusAsync(new TokenStatusRequest());
        Assert.False(status.Tokens.Single(t => t.Name == "hsm").Present);
        Assert.True(status.Tokens.Single(t => t.Name == "soft").Present);
    }

    [Fact]
    public async Task Logs_carry_neither_the_pin_nor_the_payload()
    {
        using var client = _d.Client();
        for (var i = 0; i < 3; i++)
        {
            Assert.Null((await Collect(client.Custody.SignJson(SignRequest("hsm-server", Payload())))).Error);
        }

        await Collect(client.Custody.SignJson(SignRequest("hsm-server", System.Text.Encoding.UTF8.GetBytes("{\"note\": \"" + Marker + "\", \"bad\": 1.5}"))));
        var log = _d.Output;
        Assert.Contains("payload SHA-256", log, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, log, StringComparison.Ordinal);
        Assert.DoesNotContain(SoftHsmTokens.UserPin, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, File.ReadAllText(_d.AuditLog), StringComparison.Ordinal);
    }

    private static async Task WaitForHealth(Health.HealthClient health, HealthCheckResponse.Types.ServingStatus expected)
    {
        // The monitor looks every second; 120 s is only the backstop for a status that never comes.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if ((await health.CheckAsync(new HealthCheckRequest())).Status == expected)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"health never became {expected}");
    }
}
