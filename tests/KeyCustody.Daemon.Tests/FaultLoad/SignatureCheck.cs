using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// What a received signature must be: exactly the object sent plus one signature, by the key asked for, under its
/// Matrix key id, verifying against the public key the daemon generated (not whatever the token says now).
/// </summary>
internal static class SignatureCheck
{
    /// <summary>The Matrix key id signatures of <paramref name="key"/> go under.</summary>
    public static string KeyId(RigKey key, Ed25519PublicKey publicKey) => key.Role == "server" ? "ed25519:hsm" : publicKey.KeyId;

    /// <summary>Null when <paramref name="signed"/> is right, otherwise what is wrong with it.</summary>
    public static string? Problem(RigKey key, Ed25519PublicKey publicKey, JsonObject sent, byte[] signed, string reportedKeyId)
    {
        var keyId = KeyId(key, publicKey);
        if (reportedKeyId != keyId)
        {
            return $"the daemon reported key id {reportedKeyId}, expected {keyId}";
        }

        JsonObject obj;
        try
        {
            obj = CanonicalJson.ParseObject(signed);
        }
        catch (FormatException e)
        {
            return "the signed document does not parse: " + e.Message;
        }

        var check = SignedJson.Verify(obj, key.Owner, keyId, publicKey);
        if (!check.IsValid)
        {
            return $"the signature does not verify: {check.Status} {check.Reason}";
        }

        return WithoutSignature(obj, key.Owner, keyId).Equals(sent)
            ? null
            : "the signed document is not the object sent plus one signature";
    }

    private static JsonObject WithoutSignature(JsonObject obj, string entity, string keyId)
    {
        var signatures = obj.GetObject("signatures")!;
        var mine = signatures.GetObject(entity)!.Without(keyId);
        var rest = mine.Count == 0 ? signatures.Without(entity) : signatures.With(entity, mine);
        return rest.Count == 0 ? obj.Without("signatures") : obj.With("signatures", rest);
    }
}
