using KeyCustody.Daemon.Security;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Daemon.Configuration;

/// <summary>The configuration after validation: every value checked, every path absolute.</summary>
public sealed record ValidatedConfig(
    string StateDirectory,
    string AuditPath,
    string? UnixSocket,
    UnixFileMode SocketMode,
    uint? SocketGroup,
    TcpSettings? Tcp,
    LimitsConfig Limits,
    PresenceConfig Presence,
    IReadOnlyList<TokenSettings> Tokens,
    IReadOnlyList<KeySettings> Keys,
    AccessRules Access,
    bool AllowSoftwareMasterKey,
    string? LogFile)
{
    /// <summary>The root CA file simulator tokens' attestations chain to.</summary>
    public string SimulatorRoot { get; init; } = string.Empty;

    /// <summary>systemd-journald's native socket, written to when standard output or error is the journal.</summary>
    public string JournalSocket { get; init; } = DefaultJournalSocket;

    public const string DefaultJournalSocket = "/run/systemd/journal/socket";

    /// <summary>The roots the daemon verifies attestations against (none unless configured).</summary>
    public AttestationSettings Attestation { get; init; } = AttestationSettings.None;

    /// <summary>Where the Prometheus endpoint listens, or null when metrics are off (the default).</summary>
    public MetricsSettings? Metrics { get; init; }
}

public sealed record TcpSettings(string Host, int Port, string Certificate, string PrivateKey, string ClientCa, int HandshakeTimeoutSeconds);

public enum TokenKind
{
    Piv,
    OpenPgp,
    Pkcs11,
    Software,
    Simulator,
}

public sealed record TokenSettings(
    string Name,
    TokenKind Kind,
    uint? Serial,
    string? Module,
    string? TokenLabel,
    string? TokenSerial,
    int Sessions,
    string? Directory,
    SecretSource? Pin,
    SecretSource? ManagementKey,
    string Touch,
    int TouchDelayMs,
    int TouchTimeoutMs,
    bool DemoKeys,
    string? StateFile,
    string? Profile = null)
{
    /// <summary>OpenPGP: the admin PIN's source (generation and import).</summary>
    public SecretSource? AdminPin { get; init; }

    /// <summary>Simulator: how long its card counts a touch (null: a YubiKey's 15 s).</summary>
    public int? TouchCacheSeconds { get; init; }
}

/// <summary>How a key's use is confirmed by a person.</summary>
public enum PresenceMode
{
    /// <summary>A touch when the token key's policy asks for one, otherwise an operator's approval.</summary>
    Auto,
    Operator,
    None,
}

public sealed record KeySettings(
    string Name,
    string Token,
    string KeyId,
    KeyRole Role,
    string Owner,
    string? Version,
    Ed25519PublicKey? PublicKey,
    string? RequireApprover,
    PresenceMode Presence,
    string? BackupOf)
{
    /// <summary>The key name in the Matrix key id: the version for server keys, the public key otherwise.</summary>
    public string MatrixKeyName(Ed25519PublicKey publicKey) => Role == KeyRole.Server ? Version! : publicKey.Base64;
}
