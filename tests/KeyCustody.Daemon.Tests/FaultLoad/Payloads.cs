using System.Security.Cryptography;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// What the clients of a fault run send: for each key a new object its role may sign (every one unique, so a
/// signature names the request it answers), and objects the signing policy must refuse.
/// </summary>
internal sealed class Payloads(int client) : IDisposable
{
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.Generate();
    private int _n;

    /// <summary>A new object <paramref name="key"/> may sign.</summary>
    public JsonObject Allowed(string key)
    {
        var id = NextId();
        return key switch
        {
            "alice-ssk" => Identities.SignedDevice(FaultRig.Alice, id, _device, null),
            "bob-ssk" => Identities.SignedDevice(FaultRig.Bob, id, _device, null),
            "carol-ssk" => Identities.SignedDevice(FaultRig.Carol, id, _device, null),
            "alice-usk" => OtherUsersMasterKey(),
            _ => JsonObject.Of(("fault_run", JsonObject.Of(("client", client), ("request", id))), ("nonce", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)))),
        };
    }

    /// <summary>A key and an object its role must never sign (or a document the reader refuses): never signed.</summary>
    public (string Key, byte[] Json, string Why) Refused(int choice)
    {
        var id = NextId();
        return (choice % 7) switch
        {
            0 => ("alice-ssk", Encode(Identities.SignedDevice(FaultRig.Bob, id, _device, null)), "self-signing key, another user's device"),
            1 => ("alice-ssk", Encode(UnsignedDevice(FaultRig.Alice, id)), "self-signing key, device without its self-signature"),
            2 => ("alice-usk", Encode(CrossSigningKey.Create(FaultRig.Alice, KeyUsage.Master, _device.PublicKey).Json), "user-signing key, its own user's master key"),
            3 => ("bob-ssk", Encode(OtherUsersMasterKey()), "self-signing key, a master key"),
            4 => ("carol-ssk", Encode(Identities.SignedDevice(FaultRig.Alice, id, _device, null)), "operator key, another user's device"),
            5 => ("hsm-server", System.Text.Encoding.UTF8.GetBytes("{\"fault_run\": " + client + ", \"float\": 1.5}"), "a float"),
            _ => ("alice-ssk", System.Text.Encoding.UTF8.GetBytes("{\"device_id\": \"" + id + "\", \"device_id\": \"twice\"}"), "a duplicate key"),
        };
    }

    public static byte[] Encode(JsonObject obj) => CanonicalJson.Encode(obj);

    private string NextId() => $"FL{client:D2}X{Interlocked.Increment(ref _n):D7}";

    private static JsonObject OtherUsersMasterKey()
    {
        using var key = Ed25519SoftwareKey.Generate();
        return CrossSigningKey.Create("@dave" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)) + ":example.org", KeyUsage.Master, key.PublicKey).Json;
    }

    private JsonObject UnsignedDevice(string user, string id) => JsonObject.Of(
        ("user_id", user),
        ("device_id", id),
        ("algorithms", new JsonArray("m.olm.v1.curve25519-aes-sha2")),
        ("keys", JsonObject.Of(("ed25519:" + id, _device.PublicKey.Base64))));

    public void Dispose() => _device.Dispose();
}
