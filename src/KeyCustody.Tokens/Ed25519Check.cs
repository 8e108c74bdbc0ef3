using System.Runtime.CompilerServices;
using NSec.Cryptography;

namespace KeyCustody.Tokens;

/// <summary>Verify-after-sign: no signature leaves a token unless it verifies against the key's public key.</summary>
internal static class Ed25519Check
{
    public const int PublicKeyLength = 32;
    public const int SignatureLength = 64;

    // Imported (decompressed) public keys, per key array instance: backends reuse one TokenKey per key.
    private static readonly ConditionalWeakTable<byte[], PublicKey> Imported = new();

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

    /// <summary>The public key of an RFC 8032 seed, to check that a token imported what it was given.</summary>
    public static byte[] PublicKeyOf(ReadOnlySpan<byte> seed)
    {
        using var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>Returns <paramref name="signature"/> if it verifies; otherwise throws <see cref="DeviceErrorException"/>.</summary>
    public static byte[] Require(string token, TokenKey key, ReadOnlySpan<byte> message, byte[] signature)
    {
        bool valid = signature.Length == SignatureLength && key.PublicKey.Length == PublicKeyLength && Imported.TryGetValue(key.PublicKey, out var imported)
            ? SignatureAlgorithm.Ed25519.Verify(imported, message, signature)
            : VerifiesAndRemembers(key.PublicKey, message, signature);
        return valid ? signature : throw TokenErrors.SignatureInvalid(token, key.Id);
    }

    private static bool VerifiesAndRemembers(byte[] publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeyLength || signature.Length != SignatureLength
            || !PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }

        Imported.AddOrUpdate(publicKey, key);
        return SignatureAlgorithm.Ed25519.Verify(key, message, signature);
    }
}
