using System.Text;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Tests.Shared;

/// <summary>
/// Alice (the derived vectors, unchanged) and Bob (master key = the spec seed, signed by Alice's
/// user-signing key as in the vectors; self-signing key and one device from fixed ASCII seeds), and
/// the /keys/query response Alice would see for both.
/// </summary>
internal sealed class Identities : IDisposable
{
    public const string Alice = "@alice:example.org";
    public const string Bob = "@bob:example.org";
    public const string AliceDevice = "JLAFKJWSCS";
    public const string BobDevice = "BOBPHONE";

    public Identities()
    {
        AliceMsk = Key("alice_master");
        AliceSsk = Key("alice_self_signing");
        AliceUsk = Key("alice_user_signing");
        AliceDeviceKey = Key("alice_device_JLAFKJWSCS_ed25519_ascii");
        BobMsk = Key("bob_master");
        BobSsk = Ed25519SoftwareKey.FromSeed(Encoding.ASCII.GetBytes("bob-self-signing-bob-self-signin"));
        BobDeviceKey = Ed25519SoftwareKey.FromSeed(Encoding.ASCII.GetBytes("bob-device-phone-bob-device-phon"));

        var bobSsk = CrossSigningKey.Create(Bob, KeyUsage.SelfSigning, BobSsk.PublicKey).Json;
        BobSskJson = SignedJson.Sign(bobSsk, Bob, BobMsk.PublicKey.Base64, BobMsk);
        BobDeviceJson = SignedDevice(Bob, BobDevice, BobDeviceKey, BobSsk);
    }

    public Ed25519SoftwareKey AliceMsk { get; }

    public Ed25519SoftwareKey AliceSsk { get; }

    public Ed25519SoftwareKey AliceUsk { get; }

    public Ed25519SoftwareKey AliceDeviceKey { get; }

    public Ed25519SoftwareKey BobMsk { get; }

    public Ed25519SoftwareKey BobSsk { get; }

    public Ed25519SoftwareKey BobDeviceKey { get; }

    public JsonObject BobSskJson { get; }

    public JsonObject BobDeviceJson { get; }

    /// <summary>Device keys for <paramref name="userId"/>, self-signed, and cross-signed when <paramref name="ssk"/> is given.</summary>
    public static JsonObject SignedDevice(string userId, string deviceId, Ed25519SoftwareKey deviceKey, Ed25519SoftwareKey? ssk)
    {
        var device = JsonObject.Of(
            ("user_id", userId),
            ("device_id", deviceId),
            ("algorithms", new JsonArray("m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2")),
            ("keys", JsonObject.Of(("ed25519:" + deviceId, deviceKey.PublicKey.Base64), ("curve25519:" + deviceId, "3C5BFWi2Y8MaVvjM8M22DBmh24PmgR0nPvJOIArzgyI"))));
        device = SignedJson.Sign(device, userId, deviceId, deviceKey);
        return ssk is null ? device : SignedJson.Sign(device, userId, ssk.PublicKey.Base64, ssk);
    }

    /// <summary>What Alice's /keys/query for herself and Bob returns.</summary>
    public JsonObject Response() => JsonObject.Of(
        ("failures", JsonObject.Empty),
        ("device_keys", JsonObject.Of(
            (Alice, JsonObject.Of((AliceDevice, Object("alice_device_cross_signed")))),
            (Bob, JsonObject.Of((BobDevice, BobDeviceJson))))),
        ("master_keys", JsonObject.Of((Alice, Object("alice_master")), (Bob, Object("bob_master_signed_by_alice_usk")))),
        ("self_signing_keys", JsonObject.Of((Alice, Object("alice_self_signing")), (Bob, BobSskJson))),
        ("user_signing_keys", JsonObject.Of((Alice, Object("alice_user_signing")))));

    public void Dispose()
    {
        foreach (var k in new[] { AliceMsk, AliceSsk, AliceUsk, AliceDeviceKey, BobMsk, BobSsk, BobDeviceKey })
        {
            k.Dispose();
        }
    }
}
