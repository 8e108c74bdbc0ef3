using NSec.Cryptography;

namespace KeyCustody.Tokens;

/// <summary>Verify-after-sign: no signature leaves a token unless it verifies against the key's public key.</summary>
internal static class Ed25519Check
{
    public const int PublicKeyLength = 32;
    public const int SignatureLength = 64;

    public static bool Verifies(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeyLength || signature.Length != SignatureLength)
        {
            return false;
        }

        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }

        return SignatureAlgorithm.Ed25519.Verify(key, message, signature);
    }

    /// <summary>Returns <paramref name="signature"/> if it verifies; otherwise throws <see cref="DeviceErrorException"/>.</summary>
    public static byte[] Require(string token, TokenKey key, ReadOnlySpan<byte> message, byte[] signature) =>
        Verifies(key.PublicKey, message, signature) ? signature : throw TokenErrors.SignatureInvalid(token, key.Id);
}
