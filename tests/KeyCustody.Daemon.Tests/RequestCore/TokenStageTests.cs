using KeyCustody.Daemon.Signing;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tokens;
using Xunit;
using static KeyCustody.Daemon.Tests.RequestCore.CoreRig;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// From the intent to the outcome, in process: what is signed verifies against the pinned key, the intent is on disk
/// before the token is asked, and every way the token or the log can fail ends in one outcome record.
/// </summary>
public sealed class TokenStageTests : IDisposable
{
    private readonly CoreRig _rig = CoreRig.Start();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task A_signature_is_accepted_then_recorded_as_intent_and_outcome_and_verifies_against_the_pinned_key()
    {
        var outcome = await _rig.SignAsync(Alice, "alice-ssk", _rig.Device());
        var result = outcome.Signed;
        var key = _rig.Keys.Find("alice-ssk")!;
        Assert.Equal("ed25519:" + key.PublicKey!.Base64, result.KeyId);
        Assert.True(SignedJson.Verify(Assert.Single(result.Signed), User, result.KeyId, key.PublicKey).IsValid);

        var accepted = Assert.Single(outcome.Events);
        Assert.Equal(("accepted", result.RequestId), (accepted.Kind, accepted.RequestId));
        Assert.Contains("PHONE", accepted.Intent, StringComparison.Ordinal);

        var records = _rig.RecordsOf(result.RequestId);
        Assert.Equal(["intent", "outcome"], records.Select(r => r.GetString("kind")));
        Assert.Equal(("allowed", "none", "self_signing"), (records[0].GetString("decision"), records[0].GetString("presence"), records[0].GetString("role")));
        Assert.Equal(("signed", 0L), (records[1].GetString("outcome"), ((JsonInteger)records[1]["touches"]!).Value));
        Assert.NotNull(records[1]["latency_ms"]);
        _rig.AssertSettled();
    }

    [Fact]
    public async Task A_batch_is_one_intent_with_every_hash_and_one_outcome()
    {
        var device = Bytes(_rig.Device());
        var laptop = Bytes(_rig.Device(deviceId: "LAPTOP"));
        var outcome = await _rig.SignAsync(Alice, "alice-ssk", [device, laptop, device], SignOperation.SignJsonBatch);
        Assert.Equal(3, outcome.Signed.Signed.Count);
        var records = _rig.RecordsOf(outcome.RequestId);
        Assert.Equal(3, ((JsonArray)records[0]["payload_sha256"]!).Count);

        // Each hash is the SHA-256 of the bytes that object's signature covers, in order.
        var signedBytes = new[] { device, laptop, device }.Select(b => CanonicalJson.EncodeForSigning(CanonicalJson.ParseObject(b)));
        Assert.Equal(signedBytes.Select(b => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(b))), ((JsonArray)records[0]["payload_sha256"]!).Select(h => ((JsonString)h).Value));
        var each = new[] { "PHONE", "LAPTOP", "PHONE" }.Select(id => $"sign device {id} of {User} with the self-signing key");
        Assert.Equal("make 3 signatures with key 'alice-ssk': " + string.Join("; ", each), records[0].GetString("intent"));
        Assert.Equal(records[0].GetString("intent"), outcome.Events.Single(e => e.Kind == "accepted").Intent);
        Assert.Equal(2, records.Count);
    }

    [Fact]
    public async Task What_a_master_key_signs_of_its_own_identity_is_kept_for_the_upload()
    {
        var ssk = _rig.Keys.Find("alice-ssk")!.PublicKey!;
        var obj = CrossSigningKey.Create(User, KeyUsage.SelfSigning, ssk).Json;
        var approving = Approve(_rig);
        var outcome = await _rig.SignAsync(Alice, "alice-master", obj, approving.OnEvent);
        await approving.Done;
        Assert.NotNull(outcome.Result);
        var kept = _rig.Identities.Get(User, KeyUsage.SelfSigning);
        Assert.Equal(ssk, kept!.PublicKey);
        Assert.True(kept.VerifySignedBy(User, _rig.Keys.Find("alice-master")!.PublicKey!).IsValid);
    }

    [Fact]
    public async Task A_token_replaced_under_the_same_key_id_fails_the_pinned_key_check_and_makes_the_key_unavailable()
    {
        var key = _rig.Keys.Find("alice-ssk")!;
        var pinned = key.PublicKey!;

        // Another device answers under the same name: the handle is dropped and the seed file replaced.
        _rig.Soft.Reset(_rig.Soft.Read(t => t));
        File.Delete(Path.Combine(_rig.SoftDirectory, "ssk.ed25519"));
        using (var other = KeyCustody.Tokens.Software.SoftwareToken.Open(_rig.SoftDirectory))
        {
            await other.GenerateKeyAsync(new KeyGenerationRequest("ssk"), TokenInteraction.None);
        }

        var outcome = await _rig.SignAsync(Alice, "alice-ssk", _rig.Device());
        Assert.Equal(DaemonErrorKind.KeyUnavailable, outcome.DaemonKind);
        Assert.Contains("it is not the configured device or the key was replaced", outcome.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(pinned, key.PublicKey);
        Assert.NotNull(key.Problem);
        var records = _rig.RecordsOf(outcome.RequestId);
        Assert.Equal(("outcome", "keyunavailable"), (records[^1].GetString("kind"), records[^1].GetString("outcome")));
        _rig.AssertSettled();
    }

    [Fact]
    public async Task A_card_pulled_before_the_signature_is_unavailable_and_the_next_request_after_it_is_back_opens_it_again()
    {
        _rig.Card.Button.Configure(KeyCustody.HwSim.Touch.TouchMode.Auto, TimeSpan.Zero);
        Assert.NotNull((await _rig.SignAsync(Alice, "card-ssk", _rig.Device())).Result);

        _rig.Card.Unplug();
        var failed = await _rig.SignAsync(Alice, "card-ssk", _rig.Device());
        Assert.Contains(failed.TokenKind, new TokenErrorKind?[] { TokenErrorKind.TokenRemoved, TokenErrorKind.TokenNotFound });
        Assert.Contains(_rig.RecordsOf(failed.RequestId)[^1].GetString("outcome"), new[] { "tokenremoved", "tokennotfound" });

        _rig.Card.Plug();
        var again = await _rig.SignAsync(Alice, "card-ssk", _rig.Device());
        Assert.NotNull(again.Result);
        _rig.AssertSettled();
    }

    [Fact]
    public async Task A_touch_that_never_comes_is_a_touch_timeout_with_its_outcome()
    {
        _rig.Card.Button.Configure(KeyCustody.HwSim.Touch.TouchMode.Never, timeout: TimeSpan.FromMilliseconds(200));
        var outcome = await _rig.SignAsync(Alice, "card-ssk", _rig.Device());
        Assert.Equal(TokenErrorKind.TouchTimeout, outcome.TokenKind);
        Assert.Equal(["accepted", "touch"], outcome.Events.Select(e => e.Kind));
        Assert.Equal("touchtimeout", _rig.RecordsOf(outcome.RequestId)[^1].GetString("outcome"));
        _rig.AssertSettled();
    }

    [Fact]
    public async Task When_the_intent_cannot_be_written_nothing_is_signed_and_the_card_is_never_asked()
    {
        _rig.Card.Button.Configure(KeyCustody.HwSim.Touch.TouchMode.Auto, TimeSpan.Zero);
        var signatures = _rig.CardSignatures;
        var records = _rig.Records().Count;
        _rig.Audit.Dispose();
        var outcome = await _rig.SignAsync(Alice, "card-ssk", _rig.Device());
        Assert.Equal(DaemonErrorKind.AuditUnavailable, outcome.DaemonKind);
        Assert.Null(outcome.Result);
        Assert.Equal(signatures, _rig.CardSignatures);
        Assert.Equal(records, _rig.Records().Count);

        // The log refuses everything after.
        Assert.Equal(DaemonErrorKind.AuditUnavailable, (await _rig.SignAsync(Alice, "alice-ssk", _rig.Device())).DaemonKind);
    }

    /// <summary>An operator who approves the request as soon as it is listed.</summary>
    internal static (Func<Seen, Task> OnEvent, Task Done) Approve(CoreRig rig)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (e =>
        {
            if (e.Kind == "operator")
            {
                _ = Task.Run(async () =>
                {
                    await CoreRig.Until(() => rig.Approvals.Pending.Any(p => p.RequestId == e.RequestId), "the request to be listed");
                    rig.Approvals.Approve(e.RequestId, Operator);
                    done.TrySetResult();
                });
            }

            return Task.CompletedTask;
        }, done.Task);
    }
}
