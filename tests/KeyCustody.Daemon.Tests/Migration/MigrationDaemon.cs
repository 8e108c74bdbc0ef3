using KeyCustody.HwSim;
using KeyCustody.HwSim.Crypto;
using KeyCustody.Tests.Shared;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>The daemon a migration goes into: Alice's four keys on three blank simulated YubiKeys.</summary>
internal static class MigrationDaemon
{
    /// <param name="d">The daemon to configure.</param>
    /// <param name="foreignDaily">The card of the self-signing and user-signing keys was made by a root nobody here trusts.</param>
    public static object Config(DaemonProcess d, bool foreignDaily = false) => new
    {
        tokens = new[] { Simulator(d, "yk-master", 42000001, demoKeys: false), Simulator(d, "yk-backup", 42000002, demoKeys: false), foreignDaily ? Foreign(d, "yk-daily", 42000003) : Simulator(d, "yk-daily", 42000003, demoKeys: false) },
        keys = new object[]
        {
            Key("alice-master", "yk-master", "9c", "master"),
            new { name = "alice-master-backup", token = "yk-backup", keyId = "9c", role = "master", owner = User, backupOf = "alice-master" },
            Key("alice-ssk", "yk-daily", "9a", "self_signing"),
            Key("alice-usk", "yk-daily", "9d", "user_signing"),
        },
        access = new[] { Rule(Me, ["*"], "sign", "approve", "admin") },
    };

    /// <summary>The simulator's attestation root as PEM (what a person passes as --attestation-root).</summary>
    public static string RootPem(DaemonProcess d)
    {
        var pem = Path.Combine(d.Root, "simulator-root.pem");
        var (exit, output) = ChildProcess.Run("dotnet", [Binaries.HwSim, "root-cert", "--root", Path.Combine(d.StateDirectory, "simulator-root.json")]);
        if (exit != 0)
        {
            throw new InvalidOperationException(output);
        }

        File.WriteAllText(pem, output);
        return pem;
    }

    /// <summary>A blank simulated card issued beforehand by a root of its own (its attestations chain to nothing trusted).</summary>
    private static object Foreign(DaemonProcess d, string name, uint serial)
    {
        var state = Path.Combine(d.Root, name + ".card.json");
        using (var root = SimulatorRoot.CreateEphemeral())
        using (VirtualCard.Create(new CardOptions(root) { Serial = serial, StatePath = state }))
        {
        }

        return new
        {
            name, kind = "simulator", serial, touch = "auto", touchDelayMs = 20, demoKeys = false, stateFile = state,
            pin = new { file = SecretFile(d, name + ".pin", "123456") }, managementKey = new { file = SecretFile(d, name + ".mgm", "010203040506070801020304050607080102030405060708") },
        };
    }
}
