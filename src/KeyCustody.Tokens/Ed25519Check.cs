using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NSec.Cryptography;

namespace KeyCustody.Tokens;

/// <summary>Verify-after-sign: no signature leaves a token unless it verifies against the key's public key.</summary>
internal static class Ed25519Check
{
    public const int PublicKeyLength = 32;
    public const int SignatureLength = 64;

    // Imported (decompressed) public keys, per key array instance: backends reuse one TokenKey per key, the daemon
    // passes its pinned key's one array.
    private static readonly ConditionalWeakTable<byte[], ImportedKey> Imported = new();

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

    /// <summary>
    /// Returns <paramref name="signature"/> if it verifies against <paramref name="expected"/> (the caller's pinned key,
    /// when given) or else the key's public key; otherwise throws <see cref="TokenException"/> of kind <see cref="TokenErrorKind.SignatureInvalid"/>.
    /// </summary>
    public static byte[] Require(string token, TokenKey key, ReadOnlySpan<byte> message, byte[] signature, ReadOnlyMemory<byte> expected = default)
    {
        bool valid = expected.IsEmpty
            ? VerifiesCached(key.PublicKey, message, signature)
            : MemoryMarshal.TryGetArray(expected, out var segment) && segment is { Offset: 0, Count: PublicKeyLength, Array.Length: PublicKeyLength }
                ? VerifiesCached(segment.Array, message, signature)
                : Verifies(expected.Span, message, signature);
        return valid ? signature : throw TokenErrors.SignatureInvalid(token, key.Id);
    }

    /// <summary>
    /// Verifies with the decompressed public key remembered per array (a key's bytes are one array for its lifetime),
    /// together with the bytes it was made from: an array whose contents changed since is imported again, never
    /// verified against the key it used to hold.
    /// </summary>
    private static bool VerifiesCached(byte[] publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeyLength || signature.Length != SignatureLength)
        {
            return false;
        }

        if (Imported.TryGetValue(publicKey, out var cached) && cached.Bytes.AsSpan().SequenceEqual(publicKey))
        {
            return SignatureAlgorithm.Ed25519.Verify(cached.Key, message, signature);
        }

        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }

        Imported.AddOrUpdate(publicKey, new ImportedKey(publicKey.ToArray(), key));
        return SignatureAlgorithm.Ed25519.Verify(key, message, signature);
    }

    private sealed record ImportedKey(byte[] Bytes, PublicKey Key);
}
