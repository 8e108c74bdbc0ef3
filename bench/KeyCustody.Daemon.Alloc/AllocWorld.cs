using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Signing;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Tokens;
using KeyCustody.Tokens.Software;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Daemon.Alloc;

/// <summary>
/// The daemon's request core in this process as the batch cell of bench/run-daemon.sh has it: a software token holding
/// the self-signing key of <see cref="Daemon.Bench.Devices.User"/> (presence none, accepted as an admin would since software
/// attests nothing), the daemon's default limits (batches of up to 1,000), the real audit log on disk, the real clock.
/// </summary>
internal sealed class AllocWorld : IDisposable
{
    public const string KeyName = "bench-ssk";

    private readonly AttestationRoots _roots;

    private AllocWorld(string root, ValidatedConfig config, TokenHost token, KeyRegistry keys, AttestationRoots roots, AuditLog audit)
    {
        Root = root;
        Config = config;
        Token = token;
        Keys = keys;
        _roots = roots;
        Audit = audit;
        var stages = new OperationStages(audit, new ApprovalBroker(config.Access, approverMustDiffer: true, TimeProvider.System), TimeProvider.System);
        Pipeline = new SigningPipeline(keys, config.Access, stages, new IdentityStore(config.StateDirectory), config, NullLogger<SigningPipeline>.Instance);
    }

    public string Root { get; }

    public ValidatedConfig Config { get; }

    public TokenHost Token { get; }

    public KeyRegistry Keys { get; }

    public AuditLog Audit { get; }

    public SigningPipeline Pipeline { get; }

    public static AllocWorld Create()
    {
        var root = Directory.CreateTempSubdirectory("keycustody-alloc-").FullName;
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        File.SetUnixFileMode(root, Private);
        var tokenDir = Path.Combine(root, "software");
        using (var software = SoftwareToken.Open(tokenDir))
        {
            // A fixed seed (sytest's self-signing key): the same key every run.
            using var secret = Secret.Copy(Convert.FromBase64String("HvQBbU+hc2Zr+JP1sE0XwBe1pfZZEYtJNPJLZJtS+F8="));
            software.ImportKeyAsync(new KeyGenerationRequest("ssk"), secret, TokenInteraction.None).GetAwaiter().GetResult();
        }

        var config = ConfigValidator.Validate(
            new DaemonConfig
            {
                StateDirectory = Path.Combine(root, "state"),
                Listen = new ListenConfig { UnixSocket = Path.Combine(root, "never-listened.sock"), SocketMode = "0600" },
                Tokens = [new TokenConfig { Name = "soft", Kind = "software", Directory = tokenDir }],
                Keys = [new KeyConfig { Name = KeyName, Token = "soft", KeyId = "ssk", Role = "self_signing", Owner = Daemon.Bench.Devices.User, Presence = "none" }],
                Access = [new AccessRuleConfig { Principal = "uid:1000", Keys = ["*"], Operations = ["sign"] }],
            },
            null);
        Directory.CreateDirectory(config.StateDirectory, Private);
        var token = TokenHost.Create(config.Tokens[0], config.Limits, null);
        var roots = new AttestationRoots(config.Attestation, null);
        var provenance = new KeyProvenanceBook(ProvenanceFile.Open(config.StateDirectory), roots, TimeProvider.System);
        var keys = new KeyRegistry(config.Keys.Select(k => new KeyEntry(k, token)), config.StateDirectory, config.AllowSoftwareMasterKey, provenance);
        keys.Refresh();
        foreach (var key in keys.All.Where(k => k.PublicKey is not null && !k.Trust.Trusted))
        {
            provenance.Accept(key, "alloc bench", "a software token attests nothing");
        }

        var audit = AuditLog.Open(config.AuditPath);
        return new AllocWorld(root, config, token, keys, roots, audit);
    }

    public void Dispose()
    {
        Audit.Dispose();
        _roots.Dispose();
        Token.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
