using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Signing;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Tests.Shared;
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

    private readonly SoftwareTokenWorld _world;

    private AllocWorld(SoftwareTokenWorld world, AuditLog audit)
    {
        _world = world;
        Audit = audit;
        var stages = new OperationStages(audit, new ApprovalBroker(Config.Access, approverMustDiffer: true, TimeProvider.System), TimeProvider.System);
        Pipeline = new SigningPipeline(Keys, Config.Access, stages, new IdentityStore(Config.StateDirectory), Config, NullLogger<SigningPipeline>.Instance);
    }

    public string Root => _world.Root;

    public ValidatedConfig Config => _world.Config;

    public TokenHost Token => _world.Token;

    public KeyRegistry Keys => _world.Keys;

    public AuditLog Audit { get; }

    public SigningPipeline Pipeline { get; }

    public static AllocWorld Create()
    {
        // A fixed seed (sytest's self-signing key): the same key every run.
        var world = SoftwareTokenWorld.Create(
            "keycustody-alloc-",
            [("ssk", Convert.FromBase64String("HvQBbU+hc2Zr+JP1sE0XwBe1pfZZEYtJNPJLZJtS+F8="))],
            (tokenDir, root) => new DaemonConfig
            {
                StateDirectory = Path.Combine(root, "state"),
                Listen = new ListenConfig { UnixSocket = Path.Combine(root, "never-listened.sock"), SocketMode = "0600" },
                Tokens = [new TokenConfig { Name = "soft", Kind = "software", Directory = tokenDir }],
                Keys = [new KeyConfig { Name = KeyName, Token = "soft", KeyId = "ssk", Role = "self_signing", Owner = Daemon.Bench.Devices.User, Presence = "none" }],
                Access = [new AccessRuleConfig { Principal = "uid:1000", Keys = ["*"], Operations = ["sign"] }],
            },
            "alloc bench");
        return new AllocWorld(world, AuditLog.Open(world.Config.AuditPath));
    }

    public void Dispose()
    {
        Audit.Dispose();
        _world.Delete();
    }
}
