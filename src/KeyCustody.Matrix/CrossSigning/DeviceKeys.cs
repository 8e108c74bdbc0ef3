using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Matrix.CrossSigning;

/// <summary>
/// A validated <c>DeviceKeys</c> object: <c>user_id</c>, <c>device_id</c>, <c>algorithms</c>, and
/// <c>keys</c> holding at least <c>ed25519:&lt;device_id&gt;</c>. <c>unsigned</c> (display name) is kept
/// but is not covered by any signature.
/// </summary>
public sealed class DeviceKeys
{
    private DeviceKeys(JsonObject json, string userId, string deviceId, string deviceKeyId, Ed25519PublicKey ed25519)
    {
        Json = json;
        UserId = userId;
        DeviceId = deviceId;
        DeviceKeyId = deviceKeyId;
        Ed25519Key = ed25519;
    }

    public JsonObject Json { get; }

    public string UserId { get; }

    public string DeviceId { get; }

    /// <summary>The device's own signing key, <c>keys["ed25519:&lt;device_id&gt;"]</c>.</summary>
    public Ed25519PublicKey Ed25519Key { get; }

    /// <summary><c>ed25519:&lt;device_id&gt;</c>, the id of the device's own key and signature.</summary>
    public string DeviceKeyId { get; }

    public static DeviceKeys Parse(JsonValue json)
    {
        if (!TryParse(json, out var device, out var error))
        {
            throw new MatrixFormatException(error);
        }

        return device!;
    }

    public static bool TryParse(JsonValue json, out DeviceKeys? device, out string error)
    {
        device = null;
        if (json is not JsonObject obj)
        {
            error = "device keys must be a JSON object";
            return false;
        }

        var userId = obj.GetString("user_id");
        if (!MatrixIds.IsUserId(userId))
        {
            error = $"device keys need a user_id that is a Matrix user ID ({IdentifierGrammar.UserIdProblem(userId)})";
            return false;
        }

        var deviceId = obj.GetString("device_id");
        if (string.IsNullOrEmpty(deviceId))
        {
            error = "device keys need a non-empty device_id";
            return false;
        }

        if (obj.GetArray("algorithms") is not { } algorithms || !AllStrings(algorithms.Items))
        {
            error = "device keys need algorithms, an array of strings";
            return false;
        }

        if (obj.ContainsKey("usage"))
        {
            error = "an object with a usage member is a cross-signing key, not device keys";
            return false;
        }

        if (obj.GetObject("keys") is not { } keys || !AllStrings(keys.Values))
        {
            error = "device keys need keys, an object of strings";
            return false;
        }

        var keyId = SignedJson.Ed25519Prefix + deviceId;
        if (keys.GetString(keyId) is not { } ed25519Text)
        {
            error = $"device keys need an {keyId} key";
            return false;
        }

        if (!Ed25519PublicKey.TryFromBase64(ed25519Text, out var ed25519, out error))
        {
            error = $"device key {keyId}: {error}";
            return false;
        }

        if (obj.TryGetValue("signatures", out var sigs) && sigs is not JsonObject)
        {
            error = "device keys' signatures must be an object";
            return false;
        }

        device = new DeviceKeys(obj, userId!, deviceId, keyId, ed25519!);
        error = string.Empty;
        return true;
    }

    /// <summary>Whether every value is a string (a loop over the values: no enumerator, no member names decoded).</summary>
    private static bool AllStrings(ReadOnlySpan<JsonValue> values)
    {
        foreach (var v in values)
        {
            if (v is not JsonString)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Checks the device's signature on itself (<c>signatures[user_id]["ed25519:&lt;device_id&gt;"]</c>).</summary>
    public SignatureCheck VerifySelfSignature() => SignedJson.Verify(Json, UserId, DeviceKeyId, Ed25519Key);

    /// <summary>Checks a cross-signing signature on this device by its user's self-signing key.</summary>
    public SignatureCheck VerifySignedBy(Ed25519PublicKey selfSigningKey) => SignedJson.Verify(Json, UserId, selfSigningKey.KeyId, selfSigningKey);
}
