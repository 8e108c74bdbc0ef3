using System.Text;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Bench;

/// <summary>
/// The benchmark inputs, generated deterministically from fixed seeds and committed in bench/data so
/// the C# and Python sides read the same bytes: a device-keys object (what a self-signing key signs)
/// and a /keys/query response for 25 users with 4 devices each (about 80 KB).
/// </summary>
internal static class BenchData
{
    public static readonly string[] Names = ["device-keys", "keys-query"];

    public static string Directory()
    {
        var env = Environment.GetEnvironmentVariable("KEYCUSTODY_BENCH_DATA");
        if (env is not null)
        {
            return env;
        }

        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KeyCustody.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? ".", "bench", "data");
    }

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Directory(), name + ".json"));

    public static void Write(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        using var deviceKey = Key("device-0-0");
        File.WriteAllBytes(Path.Combine(directory, "device-keys.json"), CanonicalJson.Encode(Device("@alice:example.org", "JLAFKJWSCS", deviceKey)));

        var devices = new List<KeyValuePair<string, JsonValue>>();
        var masters = new List<KeyValuePair<string, JsonValue>>();
        var ssks = new List<KeyValuePair<string, JsonValue>>();
        for (var u = 0; u < 25; u++)
        {
            var user = $"@user{u:D2}:example.org";
            using var msk = Key($"master-{u}");
            using var ssk = Key($"ssk-{u}");
            masters.Add(new(user, SignedJson.Sign(CrossSigningKey.Create(user, KeyUsage.Master, msk.PublicKey).Json, user, msk.PublicKey.Base64, msk)));
            ssks.Add(new(user, SignedJson.Sign(CrossSigningKey.Create(user, KeyUsage.SelfSigning, ssk.PublicKey).Json, user, msk.PublicKey.Base64, msk)));
            var userDevices = new List<KeyValuePair<string, JsonValue>>();
            for (var d = 0; d < 4; d++)
            {
                var id = $"DEVICE{u:D2}{d}";
                using var dk = Key($"device-{u}-{d}");
                var device = SignedJson.Sign(Device(user, id, dk), user, ssk.PublicKey.Base64, ssk)
                    .With("unsigned", JsonObject.Of(("device_display_name", $"Phone {d} of user {u} ☎")));
                userDevices.Add(new(id, device));
            }

            devices.Add(new(user, new JsonObject(userDevices)));
        }

        var query = JsonObject.Of(
            ("failures", JsonObject.Empty),
            ("device_keys", new JsonObject(devices)),
            ("master_keys", new JsonObject(masters)),
            ("self_signing_keys", new JsonObject(ssks)));
        File.WriteAllBytes(Path.Combine(directory, "keys-query.json"), CanonicalJson.Encode(query));
    }

    private static JsonObject Device(string user, string id, Ed25519SoftwareKey key)
    {
        var device = JsonObject.Of(
            ("user_id", user),
            ("device_id", id),
            ("algorithms", new JsonArray("m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2")),
            ("keys", JsonObject.Of(("ed25519:" + id, key.PublicKey.Base64), ("curve25519:" + id, "3C5BFWi2Y8MaVvjM8M22DBmh24PmgR0nPvJOIArzgyI"))));
        return SignedJson.Sign(device, user, id, key);
    }

    private static Ed25519SoftwareKey Key(string label) =>
        Ed25519SoftwareKey.FromSeed(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("keycustody-bench-" + label)));
}
