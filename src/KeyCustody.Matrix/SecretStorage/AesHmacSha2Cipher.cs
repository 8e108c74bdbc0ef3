using System.Security.Cryptography;
using System.Text;

namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// <c>m.secret_storage.v1.aes-hmac-sha2</c> (spec "Secrets"): HKDF-SHA-256 of the 4S key with 32 zero bytes of salt
/// and the secret's name as info gives 32 bytes of AES key and 32 of HMAC key; AES-256-CTR with bit 63 of the IV
/// cleared; HMAC-SHA-256 over the ciphertext. The key check is the same with the empty name over 32 zero bytes.
/// </summary>
public static class AesHmacSha2Cipher
{
    public const int MacLength = 32;

    private static readonly byte[] ZeroSalt = new byte[32];

    /// <summary>The MAC of 32 zero bytes encrypted under <paramref name="key"/> with the empty name and <paramref name="iv"/>.</summary>
    public static byte[] KeyCheck(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
    {
        Span<byte> zeros = stackalloc byte[32];
        zeros.Clear();
        // 32 zero bytes encrypted are the key stream itself: not kept.
        Span<byte> ciphertext = stackalloc byte[32];
        try
        {
            return Mac(key, string.Empty, iv, zeros, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ciphertext);
        }
    }

    /// <summary>Whether <paramref name="key"/> is the key the check values describe (constant-time comparison).</summary>
    public static bool Matches(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> mac) =>
        CryptographicOperations.FixedTimeEquals(KeyCheck(key, iv), mac);

    /// <summary>Encrypts a secret; <paramref name="iv"/> null makes a random one with bit 63 cleared.</summary>
    public static EncryptedSecret Encrypt(ReadOnlySpan<byte> key, string name, ReadOnlySpan<byte> plaintext, byte[]? iv = null)
    {
        if (iv is null)
        {
            iv = RandomNumberGenerator.GetBytes(AesCtr.IvLength);
            iv[8] &= 0x7f;
        }

        var ciphertext = new byte[plaintext.Length];
        var mac = Mac(key, name, iv, plaintext, ciphertext);
        return EncryptedSecret.Of(iv, ciphertext, mac);
    }

    /// <summary>Checks the MAC, then decrypts into a buffer the caller owns; throws <see cref="SecretStorageException"/> (SecretMac) when the MAC does not match.</summary>
    public static SecretBuffer Decrypt(ReadOnlySpan<byte> key, string name, string keyId, EncryptedSecret secret)
    {
        using var keys = Derive(key, name);
        Span<byte> mac = stackalloc byte[MacLength];
        HMACSHA256.HashData(keys.Span[32..], secret.Ciphertext, mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, secret.Mac))
        {
            throw SecretStorageErrors.SecretMac(name, keyId);
        }

        var plaintext = new SecretBuffer(secret.Ciphertext.Length);
        AesCtr.Transform(keys.Span[..32], secret.Iv, secret.Ciphertext, plaintext.Span);
        return plaintext;
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> and returns the MAC.</summary>
    private static byte[] Mac(ReadOnlySpan<byte> key, string name, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        using var keys = Derive(key, name);
        AesCtr.Transform(keys.Span[..32], iv, plaintext, ciphertext);
        return HMACSHA256.HashData(keys.Span[32..], ciphertext);
    }

    /// <summary>64 bytes: the AES key, then the HMAC key.</summary>
    private static SecretBuffer Derive(ReadOnlySpan<byte> key, string name)
    {
        var keys = new SecretBuffer(64);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, keys.Span, ZeroSalt, Encoding.UTF8.GetBytes(name));
        return keys;
    }
}
