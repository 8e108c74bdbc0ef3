namespace KeyCustody.Matrix.SecretStorage;

/// <summary>What went wrong with secret storage (4S), so a caller can tell a wrong key from a broken account.</summary>
public enum SecretStorageErrorKind
{
    /// <summary>The recovery key is not one: not base58, wrong length, wrong prefix or parity.</summary>
    RecoveryKeyFormat,

    /// <summary>The key (recovery key or passphrase) is well formed but is not the key the description describes.</summary>
    WrongKey,

    /// <summary>A secret's MAC does not verify: a wrong key, or the stored secret was altered.</summary>
    SecretMac,

    /// <summary>The account data is not shaped as the spec says (missing or malformed members).</summary>
    Malformed,

    /// <summary>An algorithm or parameter this implementation does not handle.</summary>
    Unsupported,

    /// <summary>The secret is not encrypted with the key asked for (or was erased).</summary>
    NotStored,
}

/// <summary>A 4S failure; the message says what, in words a person can act on, and never holds secret bytes.</summary>
public sealed class SecretStorageException(SecretStorageErrorKind kind, string message) : FormatException(message)
{
    public SecretStorageErrorKind Kind { get; } = kind;
}
