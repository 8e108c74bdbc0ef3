using Grpc.Core;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// Tokens without a button (SoftHSM2 through PKCS#11): every signature waits for an operator. The approver is
/// another local user (uid 65534 through setpriv, in the socket's group); the requester cannot approve itself.
/// </summary>
public sealed class ApprovalTests : IAsyncLifetime
{
    private const uint Nobody = 65534;
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private SoftHsmTokens _hsm = null!;
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("carols-laptop-carols-laptop-caro"u8);

    public async Task InitializeAsync()
    {
        _hsm = new SoftHsmTokens(_d.Root);
        _hsm.CreateToken("custody");
        _d.Environment["SOFTHSM2_CONF"] = _hsm.ConfigPath;
        _d.Configure(Config(Rule(Me, ["*"], "sign", "approve", "admin")));
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "hsm", "alice-ssk");
        await Accept(client, "alice-ssk");
    }

    private object Config(object me) => new
    {
        listen = new { socketMode = "0660", socketGroup = Nobody.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        tokens = new object[]
        {
            new { name = "hsm", kind = "pkcs11", module = SoftHsmTokens.Module, tokenLabel = "custody", sessions = 2, pin = new { file = SecretFile(_d, "hsm.pin", SoftHsmTokens.UserPin) } },
        },
        keys = new[] { Key("alice-ssk", "hsm", "alice-ssk", "self_signing") },
        access = new[]
        {
            me,
            Rule($"uid:{Nobody}", ["alice-*"], "approve"),
        },
        presence = new { approvalTimeoutSeconds = 60 },
    };

    public async Task DisposeAsync()
    {
        _device.Dispose();
        await _d.DisposeAsync();
    }

    [Fact]
    public async Task An_operator_approves_and_the_signature_arrives_a_batch_needs_one_approval()
    {
        using var client = _d.Client();
        var devices = Enumerable.Range(0, 3).Select(i => CanonicalJson.Encode(Identities.SignedDevice(User, "DEV" + i, _device, null))).ToList();
        var batch = new SignJsonBatchRequest { Key = "alice-ssk" };
        batch.Json.AddRange(devices.Select(Google.Protobuf.ByteString.CopyFrom));
        var events = new List<SignEvent>();
        using var call = client.Custody.SignJsonBatch(batch);
        var reader = Task.Run(async () =>
        {
            await foreach (var e in call.ResponseStream.ReadAllAsync())
            {
                lock (events)
                {
                    events.Add(e);
                }
            }
        });

        var pending = await WaitForPending(client);
        Assert.Contains("make 3 signatures with key 'alice-ssk'", pending.Intent, StringComparison.Ordinal);
        Assert.Contains("sign device DEV2 of @alice:example.org", pending.Intent, StringComparison.Ordinal);
        Assert.Equal(3, pending.PayloadSha256.Count);

        // The requester may not approve its own request.
        var self = await Assert.ThrowsAsync<RpcException>(() => client.Admin.ApproveAsync(new ApproveRequest { RequestId = pending.RequestId }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, self.StatusCode);

        // Another user (in the socket's group, with the approve right) may, through the real CLI.
        var (exit, output) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "approve", pending.RequestId);
        Assert.True(exit == 0, output);
        await reader;

        Assert.Equal(
            [SignEvent.EventOneofCase.Accepted, SignEvent.EventOneofCase.PresenceRequired, SignEvent.EventOneofCase.Signed],
            events.Select(e => e.EventCase));
        Assert.Equal(PresenceRequired.Types.Method.Operator, events[1].PresenceRequired.Method);
        var ssk = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single();
        Assert.False(ssk.HardwareBacked);
        var verdicts = PythonOracle.Verify(events[2].Signed.SignedJson.Select(s => s.ToByteArray()).ToList(), ssk.PublicKey, User, ssk.PublicKey);
        Assert.Equal(["valid", "valid", "valid"], verdicts);
        Assert.Equal("uid:65534 gid:65534", ReadAudit(_d).For(pending.RequestId).Single(r => r.GetString("kind") == "approval").GetString("approver"));
    }

    /// <summary>An approver with nothing to approve used to get no output at all (the newcomer's note).</summary>
    [Fact]
    public void Pending_with_nothing_waiting_says_so()
    {
        var (exit, output) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "pending");
        Assert.Equal(0, exit);
        Assert.Equal("no requests are waiting for approval", output.Trim());
    }

    [Fact]
    public async Task A_reload_that_takes_the_requesters_sign_right_away_cancels_its_pending_request()
    {
        using var client = _d.Client();
        var call = Collect(client.Custody.SignJson(SignRequest("alice-ssk", Identities.SignedDevice(User, "RELOADED", _device, null))));
        var pending = await WaitForPending(client);

        _d.Configure(Config(Rule(Me, ["*"], "approve", "admin")));
        Assert.Equal(0, Posix.Kill(_d.Pid, 1));
        var (events, error) = await call;

        Assert.DoesNotContain(events, e => e.EventCase == SignEvent.EventOneofCase.Signed);
        Assert.Equal(StatusCode.PermissionDenied, error!.StatusCode);
        Assert.Contains($"request {pending.RequestId} was cancelled: the access rules were reloaded and no longer let", error.Status.Detail, StringComparison.Ordinal);

        // The reload's record lists the requests it cancelled, so it is appended after cancelling them: the caller's error
        // (and the request's outcome record) can come first. Wait for it (60 s is the backstop; it failed once under load).
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!ReadAudit(_d).Any(r => r.GetString("kind") == "config_reload") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var reload = Assert.Single(ReadAudit(_d), r => r.GetString("kind") == "config_reload");
        Assert.Equal([pending.RequestId], ((KeyCustody.Matrix.Json.JsonArray)reload["cancelled_requests"]!).Select(v => ((KeyCustody.Matrix.Json.JsonString)v).Value));
        Assert.Contains(ReadAudit(_d).For(pending.RequestId), r => r.GetString("kind") == "outcome");
        var (exit, output) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "approve", pending.RequestId);
        Assert.True(exit != 0, output);
    }

    [Fact]
    public async Task A_denial_ends_the_request_and_nothing_is_signed()
    {
        using var client = _d.Client();
        var call = Collect(client.Custody.SignJson(SignRequest("alice-ssk", Identities.SignedDevice(User, "DENIED", _device, null))));
        var pending = await WaitForPending(client);
        var (exit, output) = RunCliAs(Nobody, Nobody, "--socket", _d.Socket, "deny", pending.RequestId, "--reason", "not expected");
        Assert.True(exit == 0, output);
        var (events, error) = await call;
        Assert.DoesNotContain(events, e => e.EventCase == SignEvent.EventOneofCase.Signed);
        Assert.Equal(StatusCode.PermissionDenied, error!.StatusCode);
        Assert.Contains("not expected", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("approvaldenied", ReadAudit(_d).For(pending.RequestId).Last(r => r.GetString("kind") == "outcome").GetString("outcome"));
    }

    private static async Task<PendingRequest> WaitForPending(KeyCustody.Client.KeyCustodyClient client)
    {
        // 120 s is only the backstop: the request is listed as soon as its intent is on disk.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var list = await client.Admin.ListPendingAsync(new ListPendingRequest());
            if (list.Pending.Count > 0)
            {
                return list.Pending[0];
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no pending request appeared");
    }
}
