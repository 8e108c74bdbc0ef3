using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.SecretStorage;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// The three cross-signing private keys from secret storage: the Ed25519 seeds in buffers this object owns (zeroed on
/// dispose, which the migration does as soon as the last import is done), and their public keys.
/// </summary>
internal sealed class SecretStorageSecrets : IDisposable
{
    private readonly Dictionary<KeyUsage, SecretBuffer> _seeds;

    private SecretStorageSecrets(string keyId, Dictionary<KeyUsage, SecretBuffer> seeds, Dictionary<KeyUsage, Ed25519PublicKey> publicKeys)
    {
        KeyId = keyId;
        _seeds = seeds;
        PublicKeys = publicKeys;
    }

    /// <summary>The default 4S key the secrets were opened with.</summary>
    public string KeyId { get; }

    public IReadOnlyDictionary<KeyUsage, Ed25519PublicKey> PublicKeys { get; }

    public static string SecretName(KeyUsage usage) => usage switch
    {
        KeyUsage.Master => CrossSigningSecrets.Master,
        KeyUsage.SelfSigning => CrossSigningSecrets.SelfSigning,
        _ => CrossSigningSecrets.UserSigning,
    };

    /// <summary>
    /// Reads the default key and its description, opens it with <paramref name="input"/> (or a prompt) and checks it
    /// against the description's MAC before anything else; then decrypts the three secrets. Only reads.
    /// </summary>
    public static async Task<SecretStorageSecrets> OpenAsync(AccountData accountData, string userId, UnlockInput? input, CancellationToken ct)
    {
        var defaultKey = await accountData.GetAsync(SecretStorageKeyDescription.DefaultKeyType, ct)
            ?? throw new MigrationException(ExitCodes.No, $"{userId} has no secret storage (no {SecretStorageKeyDescription.DefaultKeyType} in the account data): there is nothing to migrate; make a new identity with keycustody provision");
        var keyId = SecretStorageKeyDescription.DefaultKeyId(defaultKey);
        var content = await accountData.GetAsync(SecretStorageKeyDescription.KeyTypePrefix + keyId, ct)
            ?? throw new MigrationException(ExitCodes.No, $"the default secret storage key '{keyId}' of {userId} has no description ({SecretStorageKeyDescription.KeyTypePrefix}{keyId})");
        var description = SecretStorageKeyDescription.Parse(keyId, content);

        SecretStorageKey key;
        var ownInput = input is null ? UnlockInput.Prompt(userId, description) : null;
        try
        {
            key = (input ?? ownInput!).Unlock(description);
        }
        finally
        {
            ownInput?.Dispose();
        }

        using var _ = key;
        if (!key.Checked)
        {
            Console.Error.WriteLine($"note: secret storage key '{keyId}' has no check value; the first secret's MAC checks the key instead");
        }

        var seeds = new Dictionary<KeyUsage, SecretBuffer>();
        var publicKeys = new Dictionary<KeyUsage, Ed25519PublicKey>();
        try
        {
            foreach (var usage in new[] { KeyUsage.Master, KeyUsage.SelfSigning, KeyUsage.UserSigning })
            {
                var name = SecretName(usage);
                var secret = await accountData.GetAsync(name, ct);
                if (EncryptedSecret.IsErased(secret))
                {
                    throw new MigrationException(ExitCodes.No, $"secret storage of {userId} holds no {name} (absent or erased): the {usage.Describe()} is not in secret storage, so it cannot be migrated from there");
                }

                seeds[usage] = key.DecryptSeed(name, EncryptedSecret.Parse(name, keyId, secret));
                using var signer = Ed25519SoftwareKey.FromSeed(seeds[usage].Span);
                publicKeys[usage] = signer.PublicKey;
            }
        }
        catch
        {
            foreach (var seed in seeds.Values)
            {
                seed.Dispose();
            }

            throw;
        }

        return new SecretStorageSecrets(keyId, seeds, publicKeys);
    }

    /// <summary>The seed of one key; valid until <see cref="Dispose"/>.</summary>
    public SecretBuffer Seed(KeyUsage usage) => _seeds[usage];

    public void Dispose()
    {
        foreach (var seed in _seeds.Values)
        {
            seed.Dispose();
        }
    }
}
