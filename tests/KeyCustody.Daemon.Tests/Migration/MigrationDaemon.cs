using KeyCustody.Tests.Shared;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>The daemon a migration goes into: Alice's four keys on three blank simulated YubiKeys.</summary>
internal static class MigrationDaemon
{
    public static object Config(DaemonProcess d) => new
    {
        tokens = new[] { Simulator(d, "yk-master", 42000001, demoKeys: false), Simulator(d, "yk-backup", 42000002, demoKeys: false), Simulator(d, "yk-daily", 42000003, demoKeys: false) },
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
}
