using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Daemon.Bench;

/// <summary>
/// Device-keys objects of one user, each self-signed by its own device key (the self-signing policy refuses
/// devices without their own valid signature), as canonical JSON: what a bot hands the daemon to cross-sign.
/// </summary>
internal static class Devices
{
    public const string User = "@bench:example.org";

    public static IReadOnlyList<byte[]> Create(int count)
    {
        var devices = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            using var key = Ed25519SoftwareKey.Generate();
            var deviceId = $"BENCH{i:D4}";
            var device = JsonObject.Of(
                ("user_id", User),
                ("device_id", deviceId),
                ("algorithms", new JsonArray("m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2")),
                ("keys", JsonObject.Of(("ed25519:" + deviceId, key.PublicKey.Base64), ("curve25519:" + deviceId, "3C5BFWi2Y8MaVvjM8M22DBmh24PmgR0nPvJOIArzgyI"))));
            devices.Add(CanonicalJson.Encode(SignedJson.Sign(device, User, deviceId, key)));
        }

        return devices;
    }
}
