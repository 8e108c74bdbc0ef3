using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.KeyAdmin;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Signing;
using KeyCustody.Daemon.Tokens;
using KeyCustody.HwSim;
using KeyCustody.HwSim.Crypto;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// The daemon's request core in this process, no gRPC: a validated configuration, a software token ("soft": alice's
/// cross-signing keys and a server key, accepted as an admin would since software attests nothing) and an in-process
/// hw-sim card ("card", manual button: the test touches it; it waits 120 s for a touch, so a loaded machine never times a
/// test's touch out; its 9a key is alice's touch key, 9d a server key with touch cached), the real audit log, key
/// registry, provenance book and approval broker, all on a clock the test moves. Requests go through
/// <c>SignAsync</c>, which reports what the caller saw as <see cref="Seen"/> events, whatever the pipeline's
/// own event types are.
/// </summary>
internal sealed class CoreRig : IDisposable
{
    public const string User = "@alice:example.org";
    public const string Pin = "123456";
    public const string ManagementKey = "010203040506070801020304050607080102030405060708";

    /// <summary>May sign with every key.</summary>
    public static readonly Principal Alice = Principal.FromPeer(1000, 1000, 10);

    /// <summary>May sign with every key too: another person.</summary>
    public static readonly Principal Bob = Principal.FromPeer(1002, 1002, 12);

    /// <summary>May approve requests on alice's keys.</summary>
    public static readonly Principal Operator = Principal.FromPeer(1001, 1001, 11);

    /// <summary>No access rule names it.</summary>
    public static readonly Principal Stranger = Principal.FromPeer(4242, 4242, 42);

    private static readonly (string KeyId, string Seed)[] Seeds =
    [
        ("master", "2lonYOM6xYKdEsO+6KrC766xBcHnYnim1x/4LFGF8B0"),
        ("ssk", "HvQBbU+hc2Zr+JP1sE0XwBe1pfZZEYtJNPJLZJtS+F8"),
        ("usk", "4TL4AjRYwDVwD3pqQzcor+ez/euOB1/q78aTJ+czDNs"),
        ("server", "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"),
    ];

    private readonly SimulatorRoot _simulatorRoot;
    private readonly AttestationRoots _roots;
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.Generate();

    private CoreRig(string root, ValidatedConfig config, FakeTimeProvider clock, SimulatorRoot simulatorRoot, AttestationRoots roots, AuditLog audit, KeyRegistry keys, IReadOnlyList<TokenHost> tokens)
    {
        Root = root;
        Config = config;
        Clock = clock;
        _simulatorRoot = simulatorRoot;
        _roots = roots;
        Audit = audit;
        Keys = keys;
        Tokens = tokens;
        Approvals = new ApprovalBroker(config.Access, config.Presence.ApproverMustDiffer, clock);
        Identities = new IdentityStore(config.StateDirectory);
        Stages = new OperationStages(audit, Approvals, clock);
        Pipeline = new SigningPipeline(keys, config.Access, Stages, Identities, config, NullLogger<SigningPipeline>.Instance);
        KeyAdmin = new KeyAdministration(tokens, keys, config.Access, Stages);
    }

    public string Root { get; }

    public ValidatedConfig Config { get; }

    public FakeTimeProvider Clock { get; }

    public AuditLog Audit { get; }

    public KeyRegistry Keys { get; }

    public IReadOnlyList<TokenHost> Tokens { get; }

    public ApprovalBroker Approvals { get; }

    public IdentityStore Identities { get; }

    public OperationStages Stages { get; }

    public SigningPipeline Pipeline { get; }

    public KeyAdministration KeyAdmin { get; }

    public TokenHost Soft => Tokens[0];

    public TokenHost CardHost => Tokens[1];

    public VirtualCard Card => CardHost.SimulatedCard!;

    public string SoftDirectory => Path.Combine(Root, "software");

    /// <summary>The rig; <paramref name="configure"/> changes the configuration before it is validated.</summary>
    public static CoreRig Start(Action<DaemonConfig>? configure = null)
    {
        var root = Directory.CreateTempSubdirectory("keycustody-core-").FullName;
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var softDir = Path.Combine(root, "software");
        using (var software = SoftwareTokenFor(softDir))
        {
            foreach (var (keyId, seed) in Seeds)
            {
                using var secret = Secret.Copy(Convert.FromBase64String(seed + "="));
                software.ImportKeyAsync(new KeyGenerationRequest(keyId), secret, TokenInteraction.None).GetAwaiter().GetResult();
            }
        }

        var c = DefaultConfig(root, softDir);
        configure?.Invoke(c);
        var config = ConfigValidator.Validate(c, null);
        Directory.CreateDirectory(config.StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        var simulatorRoot = SimulatorRoot.CreateEphemeral();
        var tokens = config.Tokens.Select(t => TokenHost.Create(t, config.Limits, simulatorRoot, clock)).ToList();
        GenerateCardKeys(tokens[1]);
        var audit = AuditLog.Open(config.AuditPath, clock);
        var roots = new AttestationRoots(config.Attestation, simulatorRoot.Certificate);
        var provenance = new KeyProvenanceBook(ProvenanceFile.Open(config.StateDirectory), roots, clock) { Audit = r => audit.Append(r) };
        var keys = new KeyRegistry(config.Keys.Select(k => new KeyEntry(k, tokens.First(t => t.Name == k.Token))), config.StateDirectory, config.AllowSoftwareMasterKey, provenance);
        keys.Refresh();
        foreach (var key in keys.All.Where(k => k.Token == tokens[0] && k.PublicKey is not null && !k.Trust.Trusted && k.Settings.BackupOf is null))
        {
            provenance.Accept(key, "core rig", "a software token attests nothing");
        }

        return new CoreRig(root, config, clock, simulatorRoot, roots, audit, keys, tokens);
    }

    private static DaemonConfig DefaultConfig(string root, string softDir) => new()
    {
        StateDirectory = Path.Combine(root, "state"),
        Listen = new ListenConfig { UnixSocket = Path.Combine(root, "never-listened.sock"), SocketMode = "0600" },
        AllowSoftwareMasterKey = true,
        Limits = new LimitsConfig { MaxJsonBytes = 8192, MaxJsonDepth = 16, MaxBatch = 4, MaxQueuePerToken = 4 },
        Presence = new PresenceConfig { ApprovalTimeoutSeconds = 60, ApproverMustDiffer = true },
        Tokens =
        [
            new TokenConfig { Name = "soft", Kind = "software", Directory = softDir },
            new TokenConfig
            {
                Name = "card", Kind = "simulator", Serial = "31000001", Touch = "manual", TouchTimeoutMs = 120_000,
                Pin = new SecretRef { File = SecretFile(root, "card.pin", Pin) },
                ManagementKey = new SecretRef { File = SecretFile(root, "card.mgm", ManagementKey) },
            },
        ],
        Keys =
        [
            new KeyConfig { Name = "alice-master", Token = "soft", KeyId = "master", Role = "master", Owner = User, Presence = "operator" },
            new KeyConfig { Name = "alice-ssk", Token = "soft", KeyId = "ssk", Role = "self_signing", Owner = User, Presence = "none" },
            new KeyConfig { Name = "alice-usk", Token = "soft", KeyId = "usk", Role = "user_signing", Owner = User, Presence = "none" },
            new KeyConfig { Name = "server", Token = "soft", KeyId = "server", Role = "server", Owner = "example.org", Version = "a_core", Presence = "none" },
            new KeyConfig { Name = "missing", Token = "soft", KeyId = "gone", Role = "server", Owner = "example.org", Version = "b_core", Presence = "none" },
            new KeyConfig { Name = "card-ssk", Token = "card", KeyId = "9a", Role = "self_signing", Owner = User, Presence = "auto" },
            new KeyConfig { Name = "card-cached", Token = "card", KeyId = "9d", Role = "server", Owner = "example.org", Version = "c_core", Presence = "auto" },
        ],
        Access =
        [
            new AccessRuleConfig { Principal = "uid:1000", Keys = ["*"], Operations = ["sign"] },
            new AccessRuleConfig { Principal = "uid:1002", Keys = ["*"], Operations = ["sign"] },
            new AccessRuleConfig { Principal = "uid:1001", Keys = ["alice-*", "card-*"], Operations = ["approve"] },
        ],
    };

    private static KeyCustody.Tokens.Software.SoftwareToken SoftwareTokenFor(string directory) => KeyCustody.Tokens.Software.SoftwareToken.Open(directory);

    private static string SecretFile(string root, string name, string value)
    {
        var path = Path.Combine(root, name);
        File.WriteAllText(path, value);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>The card's keys, generated through the token as an admin would: 9a touch always (a touch per signature), 9d touch cached.</summary>
    private static void GenerateCardKeys(TokenHost card)
    {
        foreach (var (slot, touch) in new[] { ("9a", TouchPolicy.Always), ("9d", TouchPolicy.Cached) })
        {
            card.UseAsync(t => t.GenerateKeyAsync(new KeyGenerationRequest(slot, PinPolicy.Never, touch), card.Interaction(null)), null, default).GetAwaiter().GetResult();
        }
    }

    /// <summary>A device of <paramref name="userId"/> carrying its own valid self-signature (what a self-signing key may sign).</summary>
    public JsonObject Device(string userId = User, string deviceId = "PHONE") => KeyCustody.Tests.Shared.Identities.SignedDevice(userId, deviceId, _device, null);

    public static byte[] Bytes(JsonObject o) => CanonicalJson.Encode(o);

    /// <summary>One request as a caller makes it; what it saw, and how it ended.</summary>
    public async Task<Outcome> SignAsync(
        Principal who,
        string key,
        IReadOnlyList<byte[]> payloads,
        SignOperation operation = SignOperation.SignJson,
        Func<Seen, Task>? onEvent = null,
        CancellationToken cancellation = default)
    {
        var seen = new List<Seen>();
        try
        {
            // As Kestrel runs a call: on a thread of its own, so a caller whose request blocks on the card (a touch) does
            // not hold the test's thread (the audit log's leader writes its record inline, so the pipeline runs
            // synchronously up to the card).
            var result = await Task.Run(() => Pipeline.RunAsync(
                new SignRequest(who, key, payloads.Select(p => (ReadOnlyMemory<byte>)p).ToList(), operation),
                async e =>
                {
                    if (Seen.From(e) is not { } s)
                    {
                        return;
                    }

                    lock (seen)
                    {
                        seen.Add(s);
                    }

                    if (onEvent is not null)
                    {
                        await onEvent(s).ConfigureAwait(false);
                    }
                },
                cancellation)).ConfigureAwait(false);
            await result.Recorded.ConfigureAwait(false);
            return new Outcome(seen, result, null);
        }
        catch (Exception e)
        {
            return new Outcome(seen, null, e);
        }
    }

    public Task<Outcome> SignAsync(Principal who, string key, JsonObject payload, Func<Seen, Task>? onEvent = null, CancellationToken cancellation = default) =>
        SignAsync(who, key, [Bytes(payload)], SignOperation.SignJson, onEvent, cancellation);

    /// <summary>Every record of the audit log after checking the chain (records handed over are on disk first).</summary>
    public List<JsonObject> Records()
    {
        using var stream = new FileStream(Config.AuditPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var check = AuditChain.Verify(stream);
        if (!check.Valid)
        {
            throw new InvalidOperationException($"audit chain broken at line {check.BrokenLine}: {check.Problem}");
        }

        stream.Position = 0;
        return AuditChain.ReadLines(stream, out _).Select(l => CanonicalJson.ParseObject(l)).ToList();
    }

    /// <summary>The records of one request, in order, without the rig's own (start, provenance).</summary>
    public List<JsonObject> RecordsOf(string requestId) => Records().Where(r => r.GetString("request_id") == requestId).ToList();

    /// <summary>Records from index <paramref name="from"/> on.</summary>
    public List<JsonObject> RecordsSince(int from) => Records().Skip(from).ToList();

    /// <summary>Every intent has exactly one outcome, nothing waits on a queue, nothing is pending.</summary>
    public void AssertSettled()
    {
        var records = Records();
        var intents = records.Where(r => r.GetString("kind") == "intent").Select(r => r.GetString("request_id")).ToList();
        var outcomes = records.Where(r => r.GetString("kind") == "outcome").Select(r => r.GetString("request_id")).ToList();
        Xunit.Assert.Equal(intents.Order(StringComparer.Ordinal), outcomes.Order(StringComparer.Ordinal));
        Xunit.Assert.All(Tokens, t => Xunit.Assert.Equal(0, t.Queue.Waiting));
        Xunit.Assert.Empty(Approvals.Pending);
    }

    /// <summary>Sign APDUs (GENERAL AUTHENTICATE) the card has received so far.</summary>
    public long CardSignatures => Card.Apdus.ByInstruction().GetValueOrDefault((byte)0x87);

    /// <summary>Waits (backstop 30 s) until <paramref name="condition"/> holds.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("still waiting for " + what);
            }

            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        Audit.Dispose();
        foreach (var t in Tokens)
        {
            t.Dispose();
        }

        _roots.Dispose();
        _simulatorRoot.Dispose();
        _device.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>
/// What the caller of one request saw: an event, in the words of the wire contract. Kind is accepted, queued, operator
/// (presence required: an operator) or touch (presence required: a touch).
/// </summary>
internal sealed record Seen(string Kind, string RequestId, string Intent, int Position, string TokenSerial, int TimeoutSeconds = 0)
{
    /// <summary>What the caller hears of <paramref name="e"/>; null for what it is not told.</summary>
    public static Seen? From(RequestEvent e) => e switch
    {
        Accepted a => new("accepted", a.RequestId, a.Intent, -1, string.Empty),
        Queued q => new("queued", string.Empty, string.Empty, q.Position, string.Empty),
        PresenceRequired p => new(p.Method == PresenceMethod.Touch ? "touch" : "operator", p.RequestId, p.Intent, -1, p.TokenSerial, p.TimeoutSeconds),
        _ => null,
    };
}

/// <summary>How a request ended: its result, or the exception the gRPC layer would map.</summary>
internal sealed record Outcome(List<Seen> Events, SignResult? Result, Exception? Error)
{
    public string RequestId => Result?.RequestId ?? Events.FirstOrDefault(e => e.Kind == "accepted")?.RequestId ?? string.Empty;

    public DaemonErrorKind? DaemonKind => (Error as DaemonException)?.Kind;

    public TokenErrorKind? TokenKind => (Error as TokenException)?.Kind;

    public SignResult Signed => Result ?? throw new Xunit.Sdk.XunitException($"expected a signature, got {Error}");
}
