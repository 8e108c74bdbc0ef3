using KeyCustody.Daemon.Signing;
using KeyCustody.Matrix.Json;
using Xunit;
using static KeyCustody.Daemon.Tests.RequestCore.CoreRig;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// The stages before the intent, in process: each refusal is audited as a decision, nothing is written as an intent,
/// the caller hears nothing but the refusal, and the token is never asked.
/// </summary>
public sealed class RefusalStageTests : IDisposable
{
    private readonly CoreRig _rig = CoreRig.Start();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task A_caller_without_the_sign_right_is_refused_before_the_key_is_even_looked_up()
    {
        var before = _rig.Records().Count;
        var outcome = await _rig.SignAsync(Stranger, "alice-ssk", _rig.Device());
        Assert.Equal(DaemonErrorKind.PermissionDenied, outcome.DaemonKind);
        var decision = Assert.Single(_rig.RecordsSince(before));
        Assert.Equal(("decision", "permission_denied", "uid:4242 gid:4242", "sign_json"), (decision.GetString("kind"), decision.GetString("decision"), decision.GetString("principal"), decision.GetString("operation")));
        Assert.Null(decision["role"]);
        Assert.Empty(outcome.Events);
    }

    [Fact]
    public async Task An_unknown_key_is_not_found_and_audited()
    {
        var before = _rig.Records().Count;
        var outcome = await _rig.SignAsync(Alice, "nobody", _rig.Device());
        Assert.Equal(DaemonErrorKind.NotFound, outcome.DaemonKind);
        Assert.Equal("unknown_key", Assert.Single(_rig.RecordsSince(before)).GetString("decision"));
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "empty batch", "no JSON object given" },
        { "batch too large", "batch too large" },
        { "not canonical JSON", "floating-point" },
        { "second object broken", "duplicate" },
        { "wrong role for the operation", "wrong key role for the operation" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_an_invalid_argument_audited_with_the_keys_role(string what, string reasonPart)
    {
        var device = Bytes(_rig.Device());
        var (key, payloads, op) = what switch
        {
            "empty batch" => ("alice-ssk", new List<byte[]>(), SignOperation.SignJsonBatch),
            "batch too large" => ("alice-ssk", Enumerable.Repeat(device, 5).ToList(), SignOperation.SignJsonBatch),
            "not canonical JSON" => ("alice-ssk", [System.Text.Encoding.UTF8.GetBytes("{\"a\":1.5}")], SignOperation.SignJson),
            "second object broken" => ("alice-ssk", [device, System.Text.Encoding.UTF8.GetBytes("{\"a\":1,\"a\":2}")], SignOperation.SignJsonBatch),
            _ => ("alice-ssk", [device], SignOperation.CrossSignUser),
        };
        var before = _rig.Records().Count;
        var outcome = await _rig.SignAsync(Alice, key, payloads, op);
        Assert.Equal(DaemonErrorKind.InvalidArgument, outcome.DaemonKind);
        var decision = Assert.Single(_rig.RecordsSince(before));
        Assert.Equal(("invalid_argument", "self_signing"), (decision.GetString("decision"), decision.GetString("role")));
        Assert.Contains(reasonPart, decision.GetString("reason"), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(outcome.Events);
    }

    [Fact]
    public async Task A_key_missing_on_its_token_is_read_again_then_unavailable()
    {
        var before = _rig.Records().Count;
        var outcome = await _rig.SignAsync(Alice, "missing", JsonObject.Of(("a", 1L)));
        Assert.Equal(DaemonErrorKind.KeyUnavailable, outcome.DaemonKind);
        var decision = Assert.Single(_rig.RecordsSince(before));
        Assert.Equal("key_unavailable", decision.GetString("decision"));
        Assert.Contains("gone", decision.GetString("reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cross_signing_key_nobody_accepted_does_not_sign()
    {
        using var rig = CoreRig.Start(c => c.Keys.Add(new() { Name = "alice-ssk-2", Token = "soft", KeyId = "usk2", Role = "self_signing", Owner = User, Presence = "none" }));
        await rig.Soft.UseAsync(t => t.GenerateKeyAsync(new(KeyId: "usk2"), KeyCustody.Tokens.TokenInteraction.None), null, default);
        rig.Keys.Refresh(rig.Keys.Find("alice-ssk-2")!);
        var before = rig.Records().Count;
        var outcome = await rig.SignAsync(Alice, "alice-ssk-2", rig.Device());
        Assert.Equal(DaemonErrorKind.KeyNotTrusted, outcome.DaemonKind);
        Assert.Equal("key_not_trusted", rig.RecordsSince(before).Last().GetString("decision"));
        Assert.DoesNotContain(rig.RecordsSince(before), r => r.GetString("kind") == "intent");
    }

    [Fact]
    public async Task The_policy_refusal_names_the_object_and_hashes_what_was_read_up_to_it()
    {
        var before = _rig.Records().Count;
        var outcome = await _rig.SignAsync(Alice, "alice-ssk", [Bytes(_rig.Device()), Bytes(_rig.Device("@bob:example.org"))], SignOperation.SignJsonBatch);
        Assert.Equal(DaemonErrorKind.PolicyDenied, outcome.DaemonKind);
        Assert.Contains("object 1:", outcome.Error!.Message, StringComparison.Ordinal);
        var decision = Assert.Single(_rig.RecordsSince(before));
        Assert.Equal("policy_denied", decision.GetString("decision"));
        Assert.Equal(2, ((JsonArray)decision["payload_sha256"]!).Count);
    }

    [Fact]
    public async Task An_object_whose_signatures_cannot_take_the_signature_is_an_invalid_argument()
    {
        var before = _rig.Records().Count;
        var outcome = await _rig.SignAsync(Alice, "server", JsonObject.Of(("a", 1L), ("signatures", "not an object")));
        Assert.Equal(DaemonErrorKind.InvalidArgument, outcome.DaemonKind);
        var decision = Assert.Single(_rig.RecordsSince(before));
        Assert.Equal("invalid_argument", decision.GetString("decision"));
        Assert.Single((JsonArray)decision["payload_sha256"]!);
    }

    [Fact]
    public async Task The_token_is_never_asked_for_a_refused_request()
    {
        var signatures = _rig.CardSignatures;
        var outcome = await _rig.SignAsync(Alice, "card-ssk", _rig.Device("@bob:example.org"));
        Assert.Equal(DaemonErrorKind.PolicyDenied, outcome.DaemonKind);
        Assert.Equal(signatures, _rig.CardSignatures);
        _rig.AssertSettled();
    }
}
