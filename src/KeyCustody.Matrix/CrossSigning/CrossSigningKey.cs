using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Matrix.CrossSigning;

/// <summary>
/// A validated <c>CrossSigningKey</c> object (spec: cross_signing_key.yaml). Stricter than any one
/// implementation so that every implementation accepts what passes: <c>usage</c> is exactly one known
/// value (matrix-rust-sdk requires one), <c>keys</c> has exactly one entry, its key id is
/// <c>ed25519:</c> + its value, and the value is the canonical unpadded base64 of 32 bytes.
/// </summary>
public sealed class CrossSigningKey
{
    private CrossSigningKey(JsonObject json, string userId, KeyUsage usage, Ed25519PublicKey publicKey)
    {
        Json = json;
        UserId = userId;
        Usage = usage;
        PublicKey = publicKey;
    }

    /// <summary>The object as received or built, signatures and any other members included.</summary>
    public JsonObject Json { get; }

    public string UserId { get; }

    public KeyUsage Usage { get; }

    public Ed25519PublicKey PublicKey { get; }

    public string KeyId => PublicKey.KeyId;

    /// <summary>
    /// Members beyond the spec's <c>CrossSigningKey</c> (<c>user_id</c>, <c>usage</c>, <c>keys</c>, <c>signatures</c>).
    /// Other implementations ignore them, but a signature covers them and an upload publishes them as they are.
    /// </summary>
    public IReadOnlyList<string> ExtraMembers => Json.Select(m => m.Key).Where(name => name is not ("user_id" or "usage" or "keys" or "signatures")).ToList();

    /// <summary>A new, unsigned key object.</summary>
    public static CrossSigningKey Create(string userId, KeyUsage usage, Ed25519PublicKey publicKey)
    {
        MatrixIds.RequireUserId(userId, "user_id");
        ArgumentNullException.ThrowIfNull(publicKey);
        var json = JsonObject.Of(
            ("keys", JsonObject.Of((publicKey.KeyId, publicKey.Base64))),
            ("usage", new JsonArray(usage.ToJson())),
            ("user_id", userId));
        return new CrossSigningKey(json, userId, usage, publicKey);
    }

    /// <summary>Validates <paramref name="json"/> as a key of the expected usage; throws <see cref="MatrixFormatException"/> saying what is wrong.</summary>
    public static CrossSigningKey Parse(JsonValue json, KeyUsage expected)
    {
        if (!TryParse(json, out var key, out var error))
        {
            throw new MatrixFormatException(error);
        }

        if (key!.Usage != expected)
        {
            throw new MatrixFormatException($"expected a {expected.Describe()} (usage [\"{expected.ToJson()}\"]), got a {key.Usage.Describe()}");
        }

        return key;
    }

    /// <summary>Validates a cross-signing key object of any usage.</summary>
    public static bool TryParse(JsonValue json, out CrossSigningKey? key, out string error)
    {
        key = null;
        if (json is not JsonObject obj)
        {
            error = "a cross-signing key must be a JSON object";
            return false;
        }

        var userId = obj.GetString("user_id");
        if (!MatrixIds.IsUserId(userId))
        {
            error = $"a cross-signing key needs a user_id that is a Matrix user ID ({IdentifierGrammar.UserIdProblem(userId)})";
            return false;
        }

        if (obj.GetArray("usage") is not { Count: 1 } usageArray
            || usageArray[0] is not JsonString usageText
            || !KeyUsageNames.TryParse(usageText.Value, out var usage))
        {
            error = "a cross-signing key's usage must be exactly one of [\"master\"], [\"self_signing\"], [\"user_signing\"]";
            return false;
        }

        if (!TryReadSingleKey(obj, out var publicKey, out error))
        {
            return false;
        }

        if (obj.TryGetValue("signatures", out var sigs) && sigs is not JsonObject)
        {
            error = "a cross-signing key's signatures must be an object";
            return false;
        }

        key = new CrossSigningKey(obj, userId!, usage, publicKey!);
        error = string.Empty;
        return true;
    }

    /// <summary>Checks this key's signature by <paramref name="signer"/> (stored under <paramref name="signerUserId"/>).</summary>
    public SignatureCheck VerifySignedBy(string signerUserId, Ed25519PublicKey signer) =>
        SignedJson.Verify(Json, signerUserId, signer.KeyId, signer);

    private static bool TryReadSingleKey(JsonObject obj, out Ed25519PublicKey? publicKey, out string error)
    {
        publicKey = null;
        if (obj.GetObject("keys") is not { Count: 1 } keys)
        {
            error = "a cross-signing key's keys must be an object with exactly one entry";
            return false;
        }

        var (keyId, value) = keys.First();
        if (value is not JsonString valueText)
        {
            error = $"the value of key {keyId} must be a string";
            return false;
        }

        if (!keyId.StartsWith(SignedJson.Ed25519Prefix, StringComparison.Ordinal))
        {
            error = $"key id {keyId} is not an ed25519 key id";
            return false;
        }

        if (keyId[SignedJson.Ed25519Prefix.Length..] != valueText.Value)
        {
            error = $"key id {keyId} does not end with its public key {valueText.Value}";
            return false;
        }

        if (!Ed25519PublicKey.TryFromBase64(valueText.Value, out publicKey, out error))
        {
            return false;
        }

        if (publicKey!.Base64 != valueText.Value || !UnpaddedBase64.IsCanonical(valueText.Value))
        {
            error = $"public key {valueText.Value} is not canonical unpadded base64 (expected {publicKey.Base64})";
            publicKey = null;
            return false;
        }

        error = string.Empty;
        return true;
    }
}
