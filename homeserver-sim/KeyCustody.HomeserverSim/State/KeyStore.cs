using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.HomeserverSim.State;

/// <summary>
/// Device keys and cross-signing keys as uploaded, and the signatures uploaded later through
/// <c>/keys/signatures/upload</c> kept apart, as Synapse keeps them (table <c>e2e_cross_signing_signatures</c>:
/// signer, key id, target user, target device or cross-signing public key). What a reader sees is built from both:
/// every signature on a device; on a cross-signing key, only the signatures the reader made.
/// </summary>
internal sealed class KeyStore
{
    public static readonly string[] Usages = ["master", "self_signing", "user_signing"];

    private readonly Dictionary<(string User, string Device), JsonObject> _devices = [];
    private readonly Dictionary<(string User, string Usage), JsonObject> _crossSigning = [];
    private readonly SortedDictionary<(string Signer, string TargetUser, string Target, string KeyId), JsonValue> _signatures = new();

    public void SetDevice(JsonObject device) => _devices[(device.GetString("user_id")!, device.GetString("device_id")!)] = device;

    public bool HasDevice(string user, string device) => _devices.ContainsKey((user, device));

    public IEnumerable<string> DeviceIds(string user) =>
        _devices.Keys.Where(k => k.User == user).Select(k => k.Device).OrderBy(d => d, StringComparer.Ordinal);

    public void SetCrossSigningKey(string user, string usage, JsonObject key) => _crossSigning[(user, usage)] = key;

    /// <summary>The key exactly as uploaded (what Synapse compares uploads against), without later signatures.</summary>
    public JsonObject? StoredCrossSigningKey(string user, string usage) => _crossSigning.GetValueOrDefault((user, usage));

    /// <summary>The key and its public key, when it is well formed.</summary>
    public (JsonObject Json, Ed25519PublicKey Key)? CrossSigningKey(string user, string usage, string? seenBy) =>
        StoredCrossSigningKey(user, usage) is { } stored && Shape.CrossSigningKey(user, usage, stored) is { } key
            ? (WithSignatures(stored, user, key.Base64, seenBy), key)
            : null;

    /// <summary>The device with every signature uploaded for it.</summary>
    public JsonObject? Device(string user, string device) =>
        _devices.TryGetValue((user, device), out var stored) ? WithSignatures(stored, user, device, seenBy: null) : null;

    public void AddSignature(string signer, string targetUser, string target, string keyId, JsonValue signature) =>
        _signatures[(signer, targetUser, target, keyId)] = signature;

    /// <summary>Whether <paramref name="signer"/> has a signature under <paramref name="keyId"/> on the target.</summary>
    public bool HasSignature(string signer, string targetUser, string target, string keyId) =>
        _signatures.ContainsKey((signer, targetUser, target, keyId));

    /// <summary><paramref name="seenBy"/> null: every signer's signatures (the test's view); otherwise only those by that user.</summary>
    private JsonObject WithSignatures(JsonObject stored, string targetUser, string target, string? seenBy)
    {
        var result = stored;
        foreach (var ((signer, user, id, keyId), signature) in _signatures)
        {
            if (user != targetUser || id != target || (seenBy is not null && signer != seenBy))
            {
                continue;
            }

            var signatures = result.GetObject("signatures") ?? JsonObject.Empty;
            var bySigner = (signatures.GetObject(signer) ?? JsonObject.Empty).With(keyId, signature);
            result = result.With("signatures", signatures.With(signer, bySigner));
        }

        return result;
    }
}
