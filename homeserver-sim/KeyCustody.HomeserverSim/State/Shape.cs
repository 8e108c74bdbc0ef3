using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.HomeserverSim.State;

/// <summary>Synapse's shape checks (<c>_check_cross_signing_key</c>, <c>get_verify_key_from_cross_signing_key</c>).</summary>
internal static class Shape
{
    /// <summary>An object owned by <paramref name="user"/>, the usage among its usages, exactly one key: its public key; otherwise null.</summary>
    public static Ed25519PublicKey? CrossSigningKey(string user, string usage, JsonValue value)
    {
        if (value is not JsonObject obj
            || obj.GetString("user_id") != user
            || obj.GetArray("usage") is not { } usages
            || !usages.Any(u => u is JsonString s && s.Value == usage)
            || obj.GetObject("keys") is not { Count: 1 } keys
            || keys.First().Value is not JsonString keyText
            || !Ed25519PublicKey.TryFromBase64(keyText.Value, out var key, out _))
        {
            return null;
        }

        return key;
    }

    /// <summary>The object without <c>signatures</c> and <c>unsigned</c>: what must match the stored copy.</summary>
    public static JsonObject Stripped(JsonObject obj) => obj.Without("signatures", "unsigned");
}
