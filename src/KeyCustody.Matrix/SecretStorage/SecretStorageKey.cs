namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// A 4S key that has been checked against its description: made from a recovery key or a passphrase, compared with
/// the description's <c>mac</c> before anything else is done with it. Disposing zeroes it.
/// </summary>
public sealed class SecretStorageKey : IDisposable
{
    private readonly SecretBuffer _key;

    private SecretStorageKey(SecretStorageKeyDescription description, SecretBuffer key)
    {
        Description = description;
        _key = key;
    }

    public SecretStorageKeyDescription Description { get; }

    /// <summary>
    /// Whether the key was checked against the description's check values. False when the description has none (the
    /// spec says to assume the key is right then): the first secret's MAC is the check.
    /// </summary>
    public bool Checked => Description.HasCheck;

    /// <summary>From the recovery key as typed (ASCII, spaces allowed); throws <see cref="SecretStorageException"/>.</summary>
    public static SecretStorageKey FromRecoveryKey(SecretStorageKeyDescription description, ReadOnlySpan<byte> typed)
    {
        ArgumentNullException.ThrowIfNull(description);
        return CheckAgainst(description, RecoveryKey.Decode(typed), passphrase: false);
    }

    /// <summary>From a passphrase (UTF-8 bytes) with the description's PBKDF2 parameters; throws <see cref="SecretStorageException"/>.</summary>
    public static SecretStorageKey FromPassphrase(SecretStorageKeyDescription description, ReadOnlySpan<byte> passphrase)
    {
        ArgumentNullException.ThrowIfNull(description);
        var info = description.Passphrase
            ?? throw SecretStorageErrors.Unsupported($"secret storage key '{description.KeyId}' was not made from a passphrase: give its recovery key");
        return CheckAgainst(description, info.Derive(passphrase), passphrase: true);
    }

    /// <summary>From the raw 32 bytes (tests and tools that made the key themselves).</summary>
    public static SecretStorageKey FromBytes(SecretStorageKeyDescription description, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(description);
        return CheckAgainst(description, SecretBuffer.Copy(key), passphrase: false);
    }

    /// <summary>Decrypts secret <paramref name="name"/> from its encrypted entry for this key; the caller owns the plaintext.</summary>
    public SecretBuffer Decrypt(string name, EncryptedSecret secret) =>
        AesHmacSha2Cipher.Decrypt(_key.Span, name, Description.KeyId, secret);

    /// <summary>
    /// A cross-signing secret: its plaintext is the base64 of a 32-byte Ed25519 seed. The seed comes back in a buffer the
    /// caller owns; the plaintext is zeroed here.
    /// </summary>
    public SecretBuffer DecryptSeed(string name, EncryptedSecret secret)
    {
        using var plaintext = Decrypt(name, secret);
        var seed = SecretBase64.Decode(plaintext.Span)
            ?? throw SecretStorageErrors.Malformed($"the secret {name} decrypts to something that is not base64 (not a cross-signing key)");
        if (seed.Length != 32)
        {
            var length = seed.Length;
            seed.Dispose();
            throw SecretStorageErrors.Malformed($"the secret {name} decrypts to {length} bytes, not a 32-byte Ed25519 seed");
        }

        return seed;
    }

    public EncryptedSecret Encrypt(string name, ReadOnlySpan<byte> plaintext) => AesHmacSha2Cipher.Encrypt(_key.Span, name, plaintext);

    public void Dispose() => _key.Dispose();

    private static SecretStorageKey CheckAgainst(SecretStorageKeyDescription description, SecretBuffer key, bool passphrase)
    {
        try
        {
            if (description.HasCheck && !AesHmacSha2Cipher.Matches(key.Span, description.CheckIv, description.CheckMac))
            {
                throw SecretStorageErrors.WrongKey(description.KeyId, passphrase);
            }

            return new SecretStorageKey(description, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
