using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Fuzz.Pipeline;

/// <summary>
/// What stays the same across inputs: a validated configuration (state directory 0700 in a temp dir, one
/// software token holding alice's sytest cross-signing keys and a server key, permissive rules for uid 1000,
/// approve rights for uid 1001), the token and the key registry. The audit log, broker and identity store
/// are made per input by <see cref="PipelineTarget"/>.
/// </summary>
public sealed class PipelineWorld : IDisposable
{
    public const string User = "@alice:example.org";

    /// <summary>Key names as configured; <c>bob-ssk</c> is configured but missing from the token.</summary>
    public static readonly string[] KeyNames = ["alice-master", "alice-ssk", "alice-usk", "server", "bob-ssk"];

    /// <summary>sytest's fixed seeds (tests/vectors/matrix-signing.json) and a server seed.</summary>
    private static readonly (string KeyId, string Seed)[] Seeds =
    [
        ("master", "2lonYOM6xYKdEsO+6KrC766xBcHnYnim1x/4LFGF8B0"),
        ("ssk", "HvQBbU+hc2Zr+JP1sE0XwBe1pfZZEYtJNPJLZJtS+F8"),
        ("usk", "4TL4AjRYwDVwD3pqQzcor+ez/euOB1/q78aTJ+czDNs"),
        ("server", "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"),
    ];

    private readonly SoftwareTokenWorld _world;

    private PipelineWorld(SoftwareTokenWorld world) => _world = world;

    public string Root => _world.Root;

    public ValidatedConfig Config => _world.Config;

    public TokenHost Token => _world.Token;

    public KeyRegistry Keys => _world.Keys;

    public static PipelineWorld Create() => new(SoftwareTokenWorld.Create(
        "keycustody-fuzz-pipeline-",
        Seeds.Select(s => (s.KeyId, Convert.FromBase64String(s.Seed + "="))),
        (tokenDir, root) => new DaemonConfig
        {
            StateDirectory = Path.Combine(root, "state"),
            Listen = new ListenConfig { UnixSocket = Path.Combine(root, "never-listened.sock"), SocketMode = "0600" },
            AllowSoftwareMasterKey = true,
            Limits = new LimitsConfig { MaxJsonBytes = 8192, MaxJsonDepth = 16, MaxBatch = 4, MaxQueuePerToken = 4 },
            Presence = new PresenceConfig { ApprovalTimeoutSeconds = 1, ApproverMustDiffer = true },
            Tokens = [new TokenConfig { Name = "soft", Kind = "software", Directory = tokenDir }],
            Keys =
            [
                new KeyConfig { Name = "alice-master", Token = "soft", KeyId = "master", Role = "master", Owner = User, Presence = "operator" },
                new KeyConfig { Name = "alice-ssk", Token = "soft", KeyId = "ssk", Role = "self_signing", Owner = User, Presence = "none" },
                new KeyConfig { Name = "alice-usk", Token = "soft", KeyId = "usk", Role = "user_signing", Owner = User, Presence = "none" },
                new KeyConfig { Name = "server", Token = "soft", KeyId = "server", Role = "server", Owner = "example.org", Version = "a_fuzz", Presence = "none" },
                new KeyConfig { Name = "bob-ssk", Token = "soft", KeyId = "bob", Role = "self_signing", Owner = "@bob:example.org", Presence = "none" },
            ],
            Access =
            [
                new AccessRuleConfig { Principal = "uid:1000", Keys = ["*"], Operations = ["sign"] },
                new AccessRuleConfig { Principal = "uid:1001", Keys = ["alice-*"], Operations = ["approve"] },
            ],
        },
        // A software token attests nothing: its cross-signing keys are accepted, as an admin would, so inputs reach the policy.
        "fuzz world"));

    public void Dispose() => _world.Delete();
}
