namespace KeyCustody.Matrix.SecretStorage;

/// <summary>Every 4S error is built here.</summary>
internal static class SecretStorageErrors
{
    public static SecretStorageException RecoveryKey(string why) =>
        new(SecretStorageErrorKind.RecoveryKeyFormat, "this is not a recovery key: " + why);

    public static SecretStorageException WrongKey(string keyId, bool passphrase) =>
        new(SecretStorageErrorKind.WrongKey, passphrase
            ? $"the passphrase is not the one of secret storage key '{keyId}' (its check value does not match)"
            : $"the recovery key is not the one of secret storage key '{keyId}' (its check value does not match)");

    public static SecretStorageException SecretMac(string name, string keyId) =>
        new(SecretStorageErrorKind.SecretMac, $"the secret {name} does not verify with key '{keyId}' (its MAC does not match: a wrong key, or the stored secret was altered)");

    public static SecretStorageException Malformed(string what) => new(SecretStorageErrorKind.Malformed, what);

    public static SecretStorageException Unsupported(string what) => new(SecretStorageErrorKind.Unsupported, what);

    public static SecretStorageException NotStored(string name, string keyId) =>
        new(SecretStorageErrorKind.NotStored, $"the secret {name} is not stored with key '{keyId}' (absent, or erased)");
}
