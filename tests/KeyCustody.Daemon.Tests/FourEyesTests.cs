using Grpc.Core;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>A master key that needs a named approver even on a touch token: approval first, then the touch.</summary>
public sealed class FourEyesTests : IAsyncLifetime
{
    private const uint Nobody = 65534;
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            listen = new { socketMode = "0660", socketGroup = Nobody.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            tokens = new[] { Simulator(_d, "yk", 20000003) },
            keys = new[] { Key("alice-master", "yk", "9c", "master", requireApprover: $"uid:{Nobody}") },
            access = new[] { Rule(Me, ["*"], "sign", "approve", "admin"), Rule($"uid:{Nobody}", ["alice-master"], "approve") },
            presence = new { approverMustDiffer = false },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task Only_the_named_approver_releases_the_master_key_then_the_card_asks_for_a_touch()
    {
        using var client = _d.Client();
        using var other = Ed25519SoftwareKey.Generate();
        // Key-backup auth_data: what a master key signs without a self-signing key configured beside it.
        var backup = KeyCustody.Matrix.Json.JsonObject.Of(("public_key", other.PublicKey.Base64));
        var call = Collect(client.Custody.SignJson(SignRequest("alice-master", backup)));
        PendingRequest? pending = null;
        for (var i = 0; i < 200 && pending is null; i++)
        {
            pending = (await client.Admin.ListPendingAsync(new ListPendingRequest())).Pending.FirstOrDefault();
            await Task.Delay(50);
        }

        Assert.NotNull(pending);

        // Even with approverMustDiffer off, this principal is not the named approver.
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.Admin.ApproveAsync(new ApproveRequest { RequestId = pending.RequestId }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains($"must be approved by uid:{Nobody}", refused.Status.Detail, StringComparison.Ordinal);

        var (exit, output) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "approve", pending.RequestId);
        Assert.True(exit == 0, output);
        var (events, error) = await call;
        Assert.Null(error);
        Assert.Equal(
            [PresenceRequired.Types.Method.Operator, PresenceRequired.Types.Method.Touch],
            events.Where(e => e.EventCase == SignEvent.EventOneofCase.PresenceRequired).Select(e => e.PresenceRequired.Method));
        Assert.Equal(SignEvent.EventOneofCase.Signed, events[^1].EventCase);
    }
}
