using System.Security.Cryptography;
using NSec.Cryptography;

namespace KeyCustody.Matrix.Signing;

/// <summary>
/// An Ed25519 private key in process memory (libsodium through NSec). For development, tests and the
/// CLI's <c>json sign</c> helper: it is not custody. The seed is copied into libsodium's guarded key
/// memory and never kept by this class.
/// </summary>
public sealed class Ed25519SoftwareKey : IEd25519Signer, IDisposable
{
    public const int SeedLength = 32;

    private readonly Key _key;

    private Ed25519SoftwareKey(Key key)
    {
        _key = key;
        PublicKey = new Ed25519PublicKey(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public Ed25519PublicKey PublicKey { get; }

    /// <summary>Imports a 32-byte RFC 8032 seed. The caller still owns (and should zero) <paramref name="seed"/>.</summary>
    public static Ed25519SoftwareKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedLength)
        {
            throw new ArgumentException($"an Ed25519 seed is {SeedLength} bytes, not {seed.Length}", nameof(seed));
        }

        var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        return new Ed25519SoftwareKey(key);
    }

    /// <summary>A new random key (libsodium's generator).</summary>
    public static Ed25519SoftwareKey Generate()
    {
        Span<byte> seed = stackalloc byte[SeedLength];
        try
        {
            RandomNumberGenerator.Fill(seed);
            return FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public void Sign(ReadOnlySpan<byte> message, Span<byte> signature) => SignatureAlgorithm.Ed25519.Sign(_key, message, signature);

    public void Dispose() => _key.Dispose();
}
