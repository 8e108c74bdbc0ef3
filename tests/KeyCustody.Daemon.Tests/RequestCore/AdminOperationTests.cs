using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Daemon.Grpc;
using KeyCustody.Daemon.Security;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.RequestCore.CoreRig;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// Key generation and import on the admin service, called directly (no socket): each is an admin_intent on disk
/// before its token is asked and exactly one admin_outcome after (generated, imported or failed, whatever failed),
/// the key is re-pinned and its provenance recorded; refusals before the intent are decisions.
/// </summary>
public sealed class AdminOperationTests : IDisposable
{
    private static readonly Principal Admin = Principal.FromPeer(1003, 1003, 13);

    private readonly CoreRig _rig = CoreRig.Start(c => c.Access.Add(new() { Principal = "uid:1003", Keys = ["*"], Operations = ["admin"] }));

    public void Dispose() => _rig.Dispose();

    private AdminService Service() => new(_rig.Approvals, _rig.Tokens, _rig.Keys, _rig.Config.Access, _rig.Audit, _rig.Keys.Provenance!, _rig.KeyAdmin);

    [Fact]
    public async Task Generating_a_configured_key_is_audited_around_the_token_and_moves_the_pin()
    {
        var key = _rig.Keys.Find("alice-usk")!;
        var old = key.PublicKey;
        var before = _rig.Records().Count;
        var response = await Service().GenerateKey(new GenerateKeyRequest { Key = "alice-usk", Overwrite = true }, new TestCall(Admin));
        Assert.NotEqual(old!.Base64, response.PublicKey);
        Assert.Equal(response.PublicKey, key.PublicKey!.Base64);
        Assert.Equal("generated", response.Provenance.Origin);

        var records = _rig.RecordsSince(before).Where(r => r.GetString("operation") == "generate_key").ToList();
        Assert.Equal(["admin_intent", "admin_outcome"], records.Select(r => r.GetString("kind")));
        Assert.Equal(("generated", response.PublicKey, "usk"), (records[1].GetString("outcome"), records[1].GetString("public_key"), records[1].GetString("key_id")));
        Assert.Equal("uid:1003 gid:1003", records[0].GetString("principal"));
    }

    [Fact]
    public async Task A_generation_the_token_refuses_has_its_failed_outcome()
    {
        var before = _rig.Records().Count;
        var e = await Assert.ThrowsAsync<RpcException>(() => Service().GenerateKey(new GenerateKeyRequest { Key = "alice-usk" }, new TestCall(Admin)));
        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        var records = _rig.RecordsSince(before).Where(r => r.GetString("operation") == "generate_key").ToList();
        Assert.Equal(["admin_intent", "admin_outcome"], records.Select(r => r.GetString("kind")));
        Assert.Equal("failed", records[1].GetString("outcome"));
        Assert.Contains("already holds a key", records[1].GetString("error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generation_by_a_caller_without_the_admin_right_is_a_decision_and_nothing_else()
    {
        var before = _rig.Records().Count;
        var e = await Assert.ThrowsAsync<RpcException>(() => Service().GenerateKey(new GenerateKeyRequest { Key = "alice-usk", Overwrite = true }, new TestCall(Alice)));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        var decision = Assert.Single(_rig.RecordsSince(before));
        Assert.Equal(("decision", "permission_denied", "generate_key"), (decision.GetString("kind"), decision.GetString("decision"), decision.GetString("operation")));
    }

    [Fact]
    public async Task A_generation_whose_caller_goes_away_while_it_waits_for_the_token_has_its_outcome()
    {
        // The card is busy with a signature waiting for a touch; the generation waits behind it, then its caller leaves.
        var holding = _rig.SignAsync(Alice, "card-ssk", _rig.Device());
        await Until(() => _rig.Card.Button.IsWaiting, "the card to wait for a touch");
        using var cancel = new CancellationTokenSource();
        var before = _rig.Records().Count;
        var generating = Task.Run(() => Service().GenerateKey(new GenerateKeyRequest { Token = "card", KeyId = "9e", Overwrite = true }, new TestCall(Admin, cancel.Token)));
        await Until(() => _rig.CardHost.Queue.Waiting == 1, "the generation to wait for the card");
        await cancel.CancelAsync();
        var e = await Assert.ThrowsAsync<RpcException>(() => generating);
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);

        var records = _rig.RecordsSince(before).Where(r => r.GetString("operation") == "generate_key").ToList();
        Assert.Equal(["admin_intent", "admin_outcome"], records.Select(r => r.GetString("kind")));
        Assert.Equal("failed", records[1].GetString("outcome"));

        _rig.Card.Button.Touch();
        Assert.NotNull((await holding).Result);
        Assert.Equal(0, _rig.CardHost.Queue.Waiting);
    }

    [Fact]
    public async Task Importing_a_seed_is_audited_wipes_the_requests_copy_and_records_the_key_as_imported()
    {
        var seed = new byte[32];
        seed[0] = 7;
        var request = new ImportKeyRequest { Key = "alice-usk", Seed = ByteString.CopyFrom(seed), Overwrite = true };
        var before = _rig.Records().Count;
        var response = await Service().ImportKey(request, new TestCall(Admin));
        Assert.Equal("imported", response.Provenance.Origin);
        Assert.All(request.Seed.ToByteArray(), b => Assert.Equal(0, b));

        var records = _rig.RecordsSince(before).Where(r => r.GetString("operation") == "import_key").ToList();
        Assert.Equal(["admin_intent", "admin_outcome"], records.Select(r => r.GetString("kind")));
        Assert.Equal(("imported", response.PublicKey), (records[1].GetString("outcome"), records[1].GetString("public_key")));
        Assert.DoesNotContain(_rig.RecordsSince(before), r => CanonicalJson.Encode(r).AsSpan().IndexOf(seed) >= 0);
    }

    [Fact]
    public async Task An_import_of_a_seed_that_is_not_32_bytes_is_refused_before_any_intent()
    {
        var before = _rig.Records().Count;
        var e = await Assert.ThrowsAsync<RpcException>(() => Service().ImportKey(new ImportKeyRequest { Key = "alice-usk", Seed = ByteString.CopyFrom(new byte[31]) }, new TestCall(Admin)));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("invalid_argument", Assert.Single(_rig.RecordsSince(before)).GetString("decision"));
    }
}
