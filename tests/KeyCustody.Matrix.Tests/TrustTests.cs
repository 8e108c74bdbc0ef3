using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Matrix.Trust;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Tests.Shared.Identities;

namespace KeyCustody.Matrix.Tests;

/// <summary>The MSC1756 trust rule on the derived vectors, and one variant per broken link.</summary>
public sealed class TrustTests : IDisposable
{
    private readonly Identities _ids = new();

    public void Dispose() => _ids.Dispose();

    private IReadOnlyList<DeviceTrust> Evaluate(JsonObject response, Ed25519PublicKey? pinned = null) =>
        TrustEvaluator.Evaluate(response, Alice, pinned ?? _ids.AliceMsk.PublicKey);

    private static JsonObject Set(JsonObject response, string section, string user, JsonValue? value)
    {
        var s = response.GetObject(section) ?? JsonObject.Empty;
        return response.With(section, value is null ? s.Without(user) : s.With(user, value));
    }

    private static JsonObject Resign(JsonObject obj, string entity, Ed25519SoftwareKey key) =>
        SignedJson.Sign(obj.Without("signatures"), entity, key.PublicKey.Base64, key);

    [Fact]
    public void Derived_vectors_trust_alices_device_and_bobs_device()
    {
        var verdicts = Evaluate(_ids.Response());
        Assert.Equal(2, verdicts.Count);
        Assert.All(verdicts, v => Assert.True(v.Trusted, v.Failure?.Message));
        Assert.Equal([(Alice, AliceDevice), (Bob, BobDevice)], verdicts.Select(v => (v.UserId, v.DeviceId)));
    }

    public static TheoryData<string, TrustLink, TrustProblem, string> BrokenLinks() => new()
    {
        // name, failed link, problem, which users are affected ("both", "alice", "bob")
        { "own master missing", TrustLink.OwnMasterKey, TrustProblem.Missing, "both" },
        { "own master differs from pin", TrustLink.OwnMasterKey, TrustProblem.PinMismatch, "both" },
        { "own master malformed", TrustLink.OwnMasterKey, TrustProblem.Malformed, "both" },
        { "own master user_id mismatch", TrustLink.OwnMasterKey, TrustProblem.UserIdMismatch, "both" },
        { "own usk missing", TrustLink.OwnUserSigningKey, TrustProblem.Missing, "bob" },
        { "own usk unsigned", TrustLink.OwnUserSigningKey, TrustProblem.SignatureMissing, "bob" },
        { "own usk bad signature", TrustLink.OwnUserSigningKey, TrustProblem.SignatureInvalid, "bob" },
        { "bob master missing", TrustLink.MasterKey, TrustProblem.Missing, "bob" },
        { "bob master not signed by usk", TrustLink.MasterKey, TrustProblem.SignatureMissing, "bob" },
        { "bob master replaced", TrustLink.MasterKey, TrustProblem.SignatureInvalid, "bob" },
        { "bob master user_id mismatch", TrustLink.MasterKey, TrustProblem.UserIdMismatch, "bob" },
        { "bob ssk missing", TrustLink.SelfSigningKey, TrustProblem.Missing, "bob" },
        { "bob ssk not signed by master", TrustLink.SelfSigningKey, TrustProblem.SignatureMissing, "bob" },
        { "alice ssk replaced", TrustLink.SelfSigningKey, TrustProblem.SignatureInvalid, "alice" },
        { "alice ssk usage wrong", TrustLink.SelfSigningKey, TrustProblem.Malformed, "alice" },
        { "bob device not cross-signed", TrustLink.Device, TrustProblem.SignatureMissing, "bob" },
        { "bob device not self-signed", TrustLink.Device, TrustProblem.SignatureMissing, "bob" },
        { "alice device tampered", TrustLink.Device, TrustProblem.SignatureInvalid, "alice" },
        { "alice device listed under another id", TrustLink.Device, TrustProblem.UserIdMismatch, "alice" },
        { "bob device claims another user", TrustLink.Device, TrustProblem.UserIdMismatch, "bob" },
        { "bob device malformed", TrustLink.Device, TrustProblem.Malformed, "bob" },
        { "bob device id equals his master key", TrustLink.Device, TrustProblem.DeviceIdCollision, "bob" },
    };

    [Theory]
    [MemberData(nameof(BrokenLinks))]
    public void Every_broken_link_is_named(string variant, TrustLink link, TrustProblem problem, string affected)
    {
        var (response, pinned) = Break(variant);
        var verdicts = Evaluate(response, pinned);
        foreach (var v in verdicts)
        {
            var hit = affected == "both" || (affected == "alice" ? v.UserId == Alice : v.UserId == Bob);
            if (hit)
            {
                Assert.False(v.Trusted, $"{variant}: {v.UserId} {v.DeviceId} should not be trusted");
                Assert.Equal(link, v.Failure!.Link);
                Assert.Equal(problem, v.Failure.Problem);
                Assert.False(string.IsNullOrWhiteSpace(v.Failure.Message));
            }
            else if (variant != "bob device id equals his master key")
            {
                Assert.True(v.Trusted, $"{variant}: {v.UserId} {v.DeviceId}: {v.Failure?.Message}");
            }
        }

        Assert.Contains(verdicts, v => !v.Trusted);
    }

    private (JsonObject Response, Ed25519PublicKey? Pinned) Break(string variant)
    {
        var r = _ids.Response();
        var aliceMaster = r.GetObject("master_keys")!.GetObject(Alice)!;
        var bobMaster = r.GetObject("master_keys")!.GetObject(Bob)!;
        var aliceUsk = r.GetObject("user_signing_keys")!.GetObject(Alice)!;
        var aliceSsk = r.GetObject("self_signing_keys")!.GetObject(Alice)!;
        var aliceDevice = r.GetObject("device_keys")!.GetObject(Alice)!.GetObject(AliceDevice)!;
        var bobDevice = _ids.BobDeviceJson;
        using var stranger = Ed25519SoftwareKey.Generate();
        switch (variant)
        {
            case "own master missing":
                return (Set(r, "master_keys", Alice, null), null);
            case "own master differs from pin":
                return (r, stranger.PublicKey);
            case "own master malformed":
                return (Set(r, "master_keys", Alice, aliceMaster.With("usage", new JsonArray("master", "self_signing"))), null);
            case "own master user_id mismatch":
                return (Set(r, "master_keys", Alice, aliceMaster.With("user_id", Bob)), null);
            case "own usk missing":
                return (Set(r, "user_signing_keys", Alice, null), null);
            case "own usk unsigned":
                return (Set(r, "user_signing_keys", Alice, aliceUsk.Without("signatures")), null);
            case "own usk bad signature":
                return (Set(r, "user_signing_keys", Alice, Resign(aliceUsk, Alice, stranger).With("signatures",
                    JsonObject.Of((Alice, JsonObject.Of((_ids.AliceMsk.PublicKey.KeyId, SigOf(Resign(aliceUsk, Alice, stranger), Alice, stranger))))))), null);
            case "bob master missing":
                return (Set(r, "master_keys", Bob, null), null);
            case "bob master not signed by usk":
                return (Set(r, "master_keys", Bob, bobMaster.Without("signatures")), null);
            case "bob master replaced":
                {
                    // A different master key for Bob, carrying the old USK signature.
                    var forged = Matrix.CrossSigning.CrossSigningKey.Create(Bob, Matrix.CrossSigning.KeyUsage.Master, stranger.PublicKey).Json
                        .With("signatures", bobMaster.GetObject("signatures")!);
                    return (Set(r, "master_keys", Bob, forged), null);
                }

            case "bob master user_id mismatch":
                return (Set(r, "master_keys", Bob, bobMaster.With("user_id", "@mallory:example.org")), null);
            case "bob ssk missing":
                return (Set(r, "self_signing_keys", Bob, null), null);
            case "bob ssk not signed by master":
                return (Set(r, "self_signing_keys", Bob, _ids.BobSskJson.Without("signatures")), null);
            case "alice ssk replaced":
                {
                    var forged = Matrix.CrossSigning.CrossSigningKey.Create(Alice, Matrix.CrossSigning.KeyUsage.SelfSigning, stranger.PublicKey).Json
                        .With("signatures", aliceSsk.GetObject("signatures")!);
                    return (Set(r, "self_signing_keys", Alice, forged), null);
                }

            case "alice ssk usage wrong":
                return (Set(r, "self_signing_keys", Alice, aliceUsk), null);
            case "bob device not cross-signed":
                return (DeviceOf(r, Bob, BobDevice, Identities.SignedDevice(Bob, BobDevice, _ids.BobDeviceKey, null)), null);
            case "bob device not self-signed":
                {
                    var sigs = bobDevice.GetObject("signatures")!.GetObject(Bob)!.Without("ed25519:" + BobDevice);
                    return (DeviceOf(r, Bob, BobDevice, bobDevice.With("signatures", JsonObject.Of((Bob, sigs)))), null);
                }

            case "alice device tampered":
                return (DeviceOf(r, Alice, AliceDevice, aliceDevice.With("algorithms", new JsonArray("m.olm.v1.curve25519-aes-sha2"))), null);
            case "alice device listed under another id":
                return (r.With("device_keys", r.GetObject("device_keys")!.With(Alice, JsonObject.Of(("OTHERID", aliceDevice)))), null);
            case "bob device claims another user":
                return (DeviceOf(r, Bob, BobDevice, Identities.SignedDevice("@mallory:example.org", BobDevice, _ids.BobDeviceKey, _ids.BobSsk)), null);
            case "bob device malformed":
                return (DeviceOf(r, Bob, BobDevice, bobDevice.Without("keys")), null);
            case "bob device id equals his master key":
                {
                    var id = _ids.BobMsk.PublicKey.Base64;
                    var colliding = Identities.SignedDevice(Bob, id, _ids.BobDeviceKey, _ids.BobSsk);
                    var bobDevices = r.GetObject("device_keys")!.GetObject(Bob)!.With(id, colliding);
                    return (r.With("device_keys", r.GetObject("device_keys")!.With(Bob, bobDevices)), null);
                }

            default:
                throw new ArgumentException(variant);
        }
    }

    private static string SigOf(JsonObject signed, string entity, Ed25519SoftwareKey key) =>
        signed.GetObject("signatures")!.GetObject(entity)!.GetString(key.PublicKey.KeyId)!;

    private static JsonObject DeviceOf(JsonObject r, string user, string deviceId, JsonObject device) =>
        r.With("device_keys", r.GetObject("device_keys")!.With(user, JsonObject.Of((deviceId, device))));

    [Fact]
    public void Malformed_sections_are_refused_as_bad_input()
    {
        var r = _ids.Response().With("device_keys", new JsonArray());
        Assert.Throws<MatrixFormatException>(() => Evaluate(r));
        Assert.Throws<MatrixFormatException>(() => TrustEvaluator.Evaluate(_ids.Response(), "alice", _ids.AliceMsk.PublicKey));
    }
}
