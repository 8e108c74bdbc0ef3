namespace KeyCustody.Daemon.Configuration;

// The configuration file's shape (JSON, camelCase), bound by Microsoft.Extensions.Configuration so the
// environment (KEYCUSTODYD_section__setting) and the command line (--section:setting=value) override it.
// ConfigValidator turns it into ValidatedConfig or errors that name the setting.

public sealed class DaemonConfig
{
    /// <summary>Where the daemon keeps its state: the audit log, pinned public keys, signed key objects.</summary>
    public string? StateDirectory { get; set; }

    public ListenConfig Listen { get; set; } = new();

    public AuditConfig Audit { get; set; } = new();

    public LimitsConfig Limits { get; set; } = new();

    public PresenceConfig Presence { get; set; } = new();

    public List<TokenConfig> Tokens { get; set; } = [];

    public List<KeyConfig> Keys { get; set; } = [];

    public List<AccessRuleConfig> Access { get; set; } = [];

    /// <summary>The roots the daemon verifies its tokens' attestations against.</summary>
    public AttestationConfig Attestation { get; set; } = new();

    /// <summary>The Prometheus endpoint (off unless <c>metrics.listen</c> is given).</summary>
    public MetricsConfig Metrics { get; set; } = new();

    /// <summary>Allow a software (non-hardware) token to hold a master key. Development only.</summary>
    public bool AllowSoftwareMasterKey { get; set; }

    /// <summary>Log file (JSON lines); console only when absent.</summary>
    public string? LogFile { get; set; }

    /// <summary>
    /// systemd-journald's native socket: used instead of the console when standard output or error is the journal
    /// (JOURNAL_STREAM), so entries carry fields (KEYCUSTODY_RESULT, KEYCUSTODY_KEY...). "/run/systemd/journal/socket" by default.
    /// </summary>
    public string? JournalSocket { get; set; }

    /// <summary>
    /// Simulator tokens: the root CA file their attestations chain to (created 0600 on first use). By default
    /// "simulator-root.json" in the state directory; <c>keycustodyd --simulator</c> without <c>--state-dir</c> uses
    /// hw-sim's own, the one <c>keycustody-hwsim root-cert</c> prints.
    /// </summary>
    public string? SimulatorRoot { get; set; }
}

/// <summary>Prometheus metrics on a listener of their own, never the signing socket.</summary>
public sealed class MetricsConfig
{
    /// <summary>"127.0.0.1:9464" (an IP address or localhost, and a port) or "unix:/run/keycustody/metrics.sock"; off when absent.</summary>
    public string? Listen { get; set; }
}

public sealed class ListenConfig
{
    public string? UnixSocket { get; set; }

    /// <summary>Octal file mode of the socket, "0660" by default.</summary>
    public string SocketMode { get; set; } = "0660";

    /// <summary>Group owning the socket (name or number); the daemon's group when absent.</summary>
    public string? SocketGroup { get; set; }

    public TcpConfig? Tcp { get; set; }
}

/// <summary>TCP with mutual TLS only: the principal is the client certificate's subject.</summary>
public sealed class TcpConfig
{
    /// <summary>host:port, e.g. 127.0.0.1:7443.</summary>
    public string? Endpoint { get; set; }

    /// <summary>PEM certificate of the server.</summary>
    public string? Certificate { get; set; }

    /// <summary>PEM private key of the server (a file only the daemon can read).</summary>
    public string? PrivateKey { get; set; }

    /// <summary>PEM CA certificate(s) client certificates must chain to.</summary>
    public string? ClientCa { get; set; }

    /// <summary>
    /// A TLS handshake not finished within this many seconds is dropped (a client holding a connection without
    /// finishing it). The client sees UNAVAILABLE. On a loaded host the daemon's first handshake alone can take
    /// seconds (cold code, a starved CPU and disk). Kestrel's default, 10, by default.
    /// </summary>
    public int HandshakeTimeoutSeconds { get; set; } = 10;
}

public sealed class AuditConfig
{
    /// <summary>Audit log path; relative paths are under the state directory. "audit.jsonl" by default.</summary>
    public string Path { get; set; } = "audit.jsonl";
}

public sealed class LimitsConfig
{
    /// <summary>Connections the daemon holds open in all (Kestrel's limit; not a setting).</summary>
    public const int MaxConnections = 1024;

    /// <summary>Largest JSON object accepted for signing, in bytes.</summary>
    public int MaxJsonBytes { get; set; } = 64 * 1024;

    /// <summary>Deepest nesting accepted.</summary>
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Most objects in one batch.</summary>
    public int MaxBatch { get; set; } = 1000;

    /// <summary>Requests waiting per token before new ones get RESOURCE_EXHAUSTED.</summary>
    public int MaxQueuePerToken { get; set; } = 32;

    /// <summary>
    /// A connection with no request in flight (including one that never sent the HTTP/2 preface) is closed after
    /// this long. Clients reconnect on their next call.
    /// </summary>
    public int IdleConnectionSeconds { get; set; } = 60;

    /// <summary>
    /// Connections one peer (uid on the Unix socket, certificate subject over TCP) may hold open at once; more are
    /// closed at once. Below the daemon's 1024 in all, so no one peer can take every connection.
    /// </summary>
    public int MaxConnectionsPerPeer { get; set; } = 32;
}

public sealed class PresenceConfig
{
    /// <summary>How long a request waits for an operator's approval.</summary>
    public int ApprovalTimeoutSeconds { get; set; } = 300;

    /// <summary>An approver must be a different person (uid, or certificate subject) from the requester.</summary>
    public bool ApproverMustDiffer { get; set; } = true;

    /// <summary>
    /// A key with touch policy cached, asked by another caller than the one whose touch the card may still be caching
    /// (for 15 s): "refuse" (the caller retries once the card asks for a touch again) or "operator" (an operator's
    /// approval stands in for the touch).
    /// </summary>
    public string CachedTouchForOthers { get; set; } = "refuse";
}

public sealed class TokenConfig
{
    public string? Name { get; set; }

    /// <summary>"piv", "openpgp", "pkcs11", "software" or "simulator".</summary>
    public string? Kind { get; set; }

    /// <summary>
    /// PIV: the YubiKey serial (never a reader name). OpenPGP: the serial in the card's AID (a YubiKey's printed serial;
    /// another card's serial as hex, e.g. "0x1A2B3C4D", when it is not all digits). Simulator: the simulated card's serial.
    /// Text here (a JSON number or string alike), read by the validator: the configuration binder the daemon is
    /// compiled with parses integers in decimal only.
    /// </summary>
    public string? Serial { get; set; }

    /// <summary>PKCS#11: module path.</summary>
    public string? Module { get; set; }

    /// <summary>PKCS#11: token label or serial (one of them).</summary>
    public string? TokenLabel { get; set; }

    public string? TokenSerial { get; set; }

    /// <summary>PKCS#11: sessions in the signing pool.</summary>
    public int Sessions { get; set; } = 2;

    /// <summary>Software token: the directory of seed files.</summary>
    public string? Directory { get; set; }

    /// <summary>Where the PIN comes from. Never the PIN itself.</summary>
    public SecretRef? Pin { get; set; }

    /// <summary>PIV: where the management key (hex) comes from, for key generation.</summary>
    public SecretRef? ManagementKey { get; set; }

    /// <summary>OpenPGP: where the admin PIN (PW3) comes from, for key generation and import.</summary>
    public SecretRef? AdminPin { get; set; }

    /// <summary>Simulator: "auto" (default), "manual" or "never".</summary>
    public string? Touch { get; set; }

    /// <summary>Simulator: milliseconds before an automatic touch.</summary>
    public int TouchDelayMs { get; set; }

    /// <summary>Simulator: how long the card waits for a touch before answering 6982 (15 s like a YubiKey).</summary>
    public int TouchTimeoutMs { get; set; } = 15_000;

    /// <summary>
    /// Simulator: how long the card counts a touch for keys with touch policy cached (default 15, a YubiKey's, which the
    /// daemon assumes for every real card). Tests on a loaded machine set a long one; refused on other tokens.
    /// </summary>
    public int? TouchCacheSeconds { get; set; }

    /// <summary>Simulator: generate missing keys in 9c/9a/9d at start and have a master key sign the others (the embedded demo).</summary>
    public bool DemoKeys { get; set; }

    /// <summary>Simulator: state file so the card keeps its keys across restarts.</summary>
    public string? StateFile { get; set; }

    /// <summary>
    /// Simulator: the device the card is, "yubikey-5.7" (the default), "yubikey-5.4.3" (OpenPGP Ed25519, no PIV Ed25519) or
    /// "nitrokey-3" (OpenPGP only).
    /// </summary>
    public string? Profile { get; set; }
}

/// <summary>A secret's source: exactly one of a file, a systemd credential name, or an environment variable.</summary>
public sealed class SecretRef
{
    public string? File { get; set; }

    /// <summary>Name of a systemd credential ($CREDENTIALS_DIRECTORY/name).</summary>
    public string? Credential { get; set; }

    public string? Env { get; set; }

    /// <summary>Present only to be refused with a clear message: secrets are never in the configuration file.</summary>
    public string? Value { get; set; }
}

public sealed class KeyConfig
{
    /// <summary>The name callers use.</summary>
    public string? Name { get; set; }

    public string? Token { get; set; }

    /// <summary>The token's name for the key: PIV slot ("9c"), OpenPGP key ("sig" or "aut"), PKCS#11 label, software key name.</summary>
    public string? KeyId { get; set; }

    /// <summary>"master", "self_signing", "user_signing" or "server".</summary>
    public string? Role { get; set; }

    /// <summary>User ID (user roles) or server name (server role).</summary>
    public string? Owner { get; set; }

    /// <summary>Server keys: the key version, signed as ed25519:&lt;version&gt;.</summary>
    public string? Version { get; set; }

    /// <summary>Expected public key (unpadded base64). When absent the first one seen is pinned in the state directory.</summary>
    public string? PublicKey { get; set; }

    /// <summary>This key is a backup copy of the named key (the same imported seed on another token).</summary>
    public string? BackupOf { get; set; }

    /// <summary>Four eyes: this principal must approve every use, even on a touch token.</summary>
    public string? RequireApprover { get; set; }

    /// <summary>
    /// "auto" (default): a touch when the key's touch policy asks for one, an operator's approval otherwise;
    /// "operator": always an operator's approval; "none": no confirmation (server keys, automation; not master keys).
    /// </summary>
    public string? Presence { get; set; }
}

public sealed class AccessRuleConfig
{
    /// <summary>"uid:1000", "gid:1000", "user:NAME", "group:NAME" (resolved at start) or "cert:SUBJECT".</summary>
    public string? Principal { get; set; }

    /// <summary>Key names or patterns ("*", "alice-*").</summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>"sign", "approve", "admin".</summary>
    public List<string> Operations { get; set; } = [];
}
