using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Matrix.Signing;

/// <summary>
/// Signing JSON (spec appendix "Signing Details"): remove the top-level <c>signatures</c> and
/// <c>unsigned</c>, canonicalise, sign the bytes with Ed25519, and store the unpadded-base64 signature
/// at <c>signatures[entity][key id]</c>, keeping every other signature and the <c>unsigned</c> data.
/// </summary>
public static class SignedJson
{
    public const string Ed25519Prefix = "ed25519:";

    /// <summary>Signs <paramref name="obj"/> as <paramref name="entity"/> with key id <c>ed25519:&lt;keyName&gt;</c>.</summary>
    public static JsonObject Sign(JsonObject obj, string entity, string keyName, IEd25519Signer signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var keyId = KeyIdMember(keyName);
        ValidateSignatureSlot(obj, entity);
        var state = (Signer: signer, Signature: new SignatureBox());
        CanonicalJson.WithSigningBytes(obj, state, static (bytes, s) =>
        {
            s.Signer.Sign(bytes, s.Signature.Bytes);
            return 0;
        });
        return Merge(obj, entity, keyId, state.Signature.Bytes);
    }

    /// <summary>
    /// The exact bytes a signature over <paramref name="obj"/> covers. Also checks that a signature by
    /// <paramref name="entity"/> could be stored in it, so nothing is signed that cannot be returned.
    /// </summary>
    public static byte[] SigningBytes(JsonObject obj, string entity)
    {
        ValidateSignatureSlot(obj, entity);
        return CanonicalJson.EncodeForSigning(obj);
    }

    /// <summary>
    /// Stores a signature made elsewhere (e.g. on a token). With <paramref name="verifyWith"/>, the
    /// signature is verified first and a bad one is refused rather than stored.
    /// </summary>
    public static JsonObject AddSignature(JsonObject obj, string entity, string keyName, ReadOnlySpan<byte> signature, Ed25519PublicKey? verifyWith = null)
    {
        var keyId = KeyIdMember(keyName);
        ValidateSignatureSlot(obj, entity);
        if (signature.Length != Ed25519PublicKey.SignatureLength)
        {
            throw new MatrixFormatException($"an Ed25519 signature is {Ed25519PublicKey.SignatureLength} bytes, not {signature.Length}");
        }

        if (verifyWith is not null && !verifyWith.Verify(CanonicalJson.EncodeForSigning(obj), signature))
        {
            throw new MatrixFormatException($"the signature does not verify with {verifyWith.KeyId}; it was not stored");
        }

        return Merge(obj, entity, keyId, signature);
    }

    /// <summary>Checks the one signature <c>signatures[entity][keyId]</c> against <paramref name="key"/>.</summary>
    public static SignatureCheck Verify(JsonObject obj, string entity, string keyId, Ed25519PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(key);
        if (!obj.TryGetValue("signatures", out var sigs))
        {
            return new(SignatureStatus.NoSignatures, "the object has no signatures");
        }

        if (sigs is not JsonObject signatures)
        {
            return new(SignatureStatus.SignaturesMalformed, "'signatures' is not an object");
        }

        if (!signatures.TryGetValue(entity, out var byEntity))
        {
            return new(SignatureStatus.NoSignatureFromEntity, $"no signatures from {entity}");
        }

        if (byEntity is not JsonObject entitySigs)
        {
            return new(SignatureStatus.SignaturesMalformed, $"signatures[{entity}] is not an object");
        }

        if (!keyId.StartsWith(Ed25519Prefix, StringComparison.Ordinal))
        {
            return new(SignatureStatus.UnsupportedAlgorithm, $"unsupported signing algorithm in key id '{keyId}'");
        }

        if (!entitySigs.TryGetValue(keyId, out var sigValue))
        {
            return new(SignatureStatus.NoSignatureForKey, $"no signature from {entity} with key {keyId}");
        }

        if (sigValue is not JsonString sigText)
        {
            return new(SignatureStatus.SignatureMalformed, $"the signature from {entity} with key {keyId} is not a string");
        }

        if (!UnpaddedBase64.TryDecode(sigText, out var signature, out var error))
        {
            return new(SignatureStatus.SignatureMalformed, $"the signature from {entity} with key {keyId} is not base64: {error}");
        }

        if (signature.Length != Ed25519PublicKey.SignatureLength)
        {
            return new(SignatureStatus.SignatureMalformed, $"the signature from {entity} with key {keyId} is {signature.Length} bytes, not 64");
        }

        var valid = CanonicalJson.WithSigningBytes(obj, (key, signature), static (bytes, s) => s.key.Verify(bytes, s.signature));
        return valid
            ? SignatureCheck.Ok
            : new(SignatureStatus.Invalid, $"the signature from {entity} with key {keyId} does not verify");
    }

    private static string KeyIdFor(string keyName)
    {
        ArgumentNullException.ThrowIfNull(keyName);
        if (keyName.Length == 0)
        {
            throw new MatrixFormatException("the key name must not be empty");
        }

        return Ed25519Prefix + keyName;
    }

    /// <summary>
    /// <c>ed25519:&lt;keyName&gt;</c> as a member name. The last one made is kept: a batch signs every object with one key,
    /// and the name is the same immutable string each time.
    /// </summary>
    private static JsonString KeyIdMember(string keyName)
    {
        var last = _lastKeyId;
        if (last is not null && string.Equals(last.KeyName, keyName, StringComparison.Ordinal))
        {
            return last.KeyId;
        }

        var made = new KeyIdName(keyName, new JsonString(KeyIdFor(keyName)));
        _lastKeyId = made;
        return made.KeyId;
    }

    private static KeyIdName? _lastKeyId;

    private sealed record KeyIdName(string KeyName, JsonString KeyId);

    private static void ValidateSignatureSlot(JsonObject obj, string entity)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(entity);
        if (entity.Length == 0)
        {
            throw new MatrixFormatException("the signing entity must not be empty");
        }

        if (!obj.TryGetValue("signatures", out var sigs))
        {
            return;
        }

        if (sigs is not JsonObject signatures)
        {
            throw new MatrixFormatException("'signatures' must be an object");
        }

        if (signatures.TryGetValue(entity, out var byEntity) && byEntity is not JsonObject)
        {
            throw new MatrixFormatException($"signatures[{entity}] must be an object");
        }
    }

    private static JsonObject Merge(JsonObject obj, string entity, JsonString keyId, ReadOnlySpan<byte> signature)
    {
        var signatures = obj.GetObject("signatures") ?? JsonObject.Empty;
        var byEntity = signatures.GetObject(entity) ?? JsonObject.Empty;
        var encoded = JsonString.FromOwnedAscii(UnpaddedBase64.EncodeToAscii(signature));
        var result = obj.With("signatures", signatures.With(entity, byEntity.With(keyId, encoded)));

        // python-signedjson puts "unsigned" back only when it is not null; doing the same keeps the
        // output byte-identical to it. A null "unsigned" carries no data.
        return result["unsigned"] is JsonNull ? result.Without("unsigned") : result;
    }

    private sealed class SignatureBox
    {
        public byte[] Bytes { get; } = new byte[Ed25519PublicKey.SignatureLength];
    }
}
