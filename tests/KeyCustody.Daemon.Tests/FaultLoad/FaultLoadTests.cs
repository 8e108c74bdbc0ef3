using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// The short fault-and-load run of CI (about 40 s of load; the long one is bench/run-faults.sh): clients signing on
/// two hw-sim cards behind the real pcscd and on SoftHSM2 while cards are pulled, touches never come, pcscd and
/// the daemon are killed, the HSM token vanishes or is replaced, and clients cancel or hang up.
/// </summary>
public sealed class FaultLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Under_faults_every_signature_verifies_nothing_is_lost_and_the_daemon_stays_bounded()
    {
        // The long run (bench/run-faults.sh) is this test with these set; CI runs the defaults.
        var options = new FaultOptions();
        if (Environment.GetEnvironmentVariable("KEYCUSTODY_FAULT_SEED") is { Length: > 0 } seed)
        {
            options = options with { Seed = int.Parse(seed, CultureInfo.InvariantCulture) };
        }

        if (Environment.GetEnvironmentVariable("KEYCUSTODY_FAULT_SECONDS") is { Length: > 0 } seconds)
        {
            options = options with { Duration = TimeSpan.FromSeconds(int.Parse(seconds, CultureInfo.InvariantCulture)) };
        }

        if (Environment.GetEnvironmentVariable("KEYCUSTODY_FAULT_SIGNERS") is { Length: > 0 } signers)
        {
            options = options with { Signers = int.Parse(signers, CultureInfo.InvariantCulture) };
        }

        var root = Directory.CreateTempSubdirectory("keycustody-faultload-").FullName;
        var report = await FaultRun.RunAsync(options, root, output.WriteLine);
        output.WriteLine(report.Table());
        foreach (var v in report.Violations.Take(50))
        {
            output.WriteLine("VIOLATION: " + v);
        }

        if (Environment.GetEnvironmentVariable("KEYCUSTODY_FAULT_REPORT") is { Length: > 0 } reportFile)
        {
            File.WriteAllLines(reportFile, [report.Table(), .. report.Violations.Take(200).Select(v => "VIOLATION: " + v)]);
        }

        Assert.True(report.Violations.Count == 0, $"{report.Violations.Count} violations (seed {options.Seed}; KEYCUSTODY_FAULT_SEED replays the order), first: {string.Join("\n", report.Violations.Take(10))}\nrun directory: {root}");

        // The run really did what it claims: every fault kind happened, every key signed, every refusal was tried.
        foreach (var kind in Enum.GetValues<FaultKind>())
        {
            Assert.True(report.FaultCount(kind) > 0, $"no {kind} fault in this run");
        }

        Assert.True(report.Cancels > 0 && report.Disconnects > 0, "no client cancelled or hung up");
        Assert.All(FaultRig.Keys, k => Assert.True(report.Verified.GetValueOrDefault(k.Name) > 0, $"{k.Name} never signed"));
        Assert.Contains(report.Calls, c => c.Kind == CallKind.Denied && c.Status == global::Grpc.Core.StatusCode.PermissionDenied);
        Assert.Contains(report.Calls, c => c.Kind == CallKind.Refused && c.Status == global::Grpc.Core.StatusCode.FailedPrecondition);
        Assert.True(report.PythonChecked > 0);
        Assert.True(report.Audit.Starts >= 2, "the daemon was never restarted");
        if (Environment.GetEnvironmentVariable("KEYCUSTODY_KEEP_TEST_DIRS") is null)
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
