using System.Globalization;
using System.Text;

namespace KeyCustody.Daemon.Bench;

/// <summary>What one run measured, and the markdown table for the README.</summary>
internal sealed record RunResult(
    string Machine,
    string LoadAtStart,
    string LoadAtEnd,
    Yardstick Python,
    double FsyncMs,
    CryptoFloor.Result Floor,
    IReadOnlyList<string> KeyNotes,
    IReadOnlyList<CellResult> Cells,
    IdleMemory.Reading Idle,
    double PeakSampledMB,
    double PeakHwmMB,
    double IdleAfterMB,
    double IdleAfterSeconds)
{
    /// <summary>Idle as the targets read it: once settled (see <see cref="IdleMemory"/>), not 3 s after start.</summary>
    public double IdleMB => Idle.SettledMB;
}

internal static class Report
{
    private static string IdleWhen(IdleMemory.Reading idle) => idle.Stable
        ? Inv($"settled: 15 readings a second apart within 1 MB, {idle.SettledSeconds:F0} s after start")
        : Inv($"not settled (never 15 readings a second apart within 1 MB) by {idle.SettledSeconds:F0} s after start: the last reading");

    private static readonly Dictionary<string, string> TokenNames = new(StringComparer.Ordinal)
    {
        [DaemonUnderTest.SoftwareKey] = "software token",
        [DaemonUnderTest.SoftHsmKey] = "SoftHSM2 (2 sessions)",
        [DaemonUnderTest.SimulatorKey] = "hw-sim card (auto-touch, 0 ms)",
    };

    /// <summary>The table, and whether every target was met.</summary>
    public static (string Markdown, bool AllMet) Render(RunResult r, string command)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv($"Machine: {r.Machine}. Load average (1/5/15 min) at start {r.LoadAtStart}, at end {r.LoadAtEnd}."));
        md.AppendLine();
        md.AppendLine("Keys (self-signing keys of @bench:example.org; every request is a device-keys object with its own valid self-signature): " + string.Join("; ", r.KeyNotes) + ".");
        md.AppendLine();
        md.AppendLine("| token | call | clients | signatures/s | p50 ms | p99 ms | CPU µs/signature | clients' CPU µs/signature | failed calls |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var c in r.Cells)
        {
            if (c.Kind == "nosign")
            {
                md.AppendLine(Inv($"| none (the floor of a call) | ListKeys, unary, no signing | {c.Clients} | {c.PerSecond:F0} calls/s | {c.Percentile(0.50):F2} | {c.Percentile(0.99):F2} | {c.DaemonCpuMicrosecondsPerSignature:F0} per call | {c.ClientCpuMicrosecondsPerSignature:F0} per call | {(c.Errors.Count == 0 ? "0" : string.Join(", ", c.Errors.Select(e => Inv($"{e.Value} {e.Key}"))))} |"));
                continue;
            }

            var call = c.Kind == "single" ? "SignJson" : "SignJsonBatch ×1,000";
            var failed = c.Errors.Count == 0 ? "0" : string.Join(", ", c.Errors.Select(e => Inv($"{e.Value} {e.Key}")));
            md.AppendLine(Inv($"| {TokenNames[c.Key]} | {call} | {c.Clients} | {c.PerSecond:F0} | {c.Percentile(0.50):F2} | {c.Percentile(0.99):F2} | {c.DaemonCpuMicrosecondsPerSignature:F0} | {c.ClientCpuMicrosecondsPerSignature:F0} | {failed} |"));
        }

        md.AppendLine(Inv($"| python-signedjson in-process (yardstick) | `sign_json` on parsed objects | 1 thread | {r.Python.SignJsonPerSecond:F0} | | | {r.Python.SignJsonCpuMicroseconds:F0} | | |"));
        md.AppendLine(Inv($"| python-signedjson in-process | `json.loads` + `sign_json` + `encode_canonical_json` | 1 thread | {r.Python.BytesToBytesPerSecond:F0} | | | {r.Python.BytesToBytesCpuMicroseconds:F0} | | |"));
        var cores = Environment.ProcessorCount;
        md.AppendLine(Inv($"| Ed25519 alone, in-process (the floor of the checks) | policy verify + sign + verify against the pinned key, per object | 1 thread | {1e6 / r.Floor.MicrosecondsPerObject:F0} | | | {r.Floor.MicrosecondsPerObject:F0} | | |"));
        md.AppendLine();
        md.AppendLine(Inv($"The Ed25519 floor: NSec/libsodium in the benchmark process, one thread, on the same 1,000 objects: a signature {r.Floor.SignMicroseconds:F1} µs, a verification {r.Floor.VerifyMicroseconds:F1} µs; per object the daemon must verify the device's self-signature (policy), sign, and verify the signature against the pinned key: {r.Floor.MicrosecondsPerObject:F1} µs, so {cores} cores allow at most {r.Floor.MaxPerSecond(cores):F0} signatures/s with nothing else running ({r.Floor.MaxPerSecond(cores) / r.Python.SignJsonPerSecond:F2}× python `sign_json`)."));
        md.AppendLine();
        md.AppendLine("CPU µs/signature: the daemon's user + system time (/proc/PID/stat) over the cell divided by the signatures; for Python, its process time. Clients' CPU: the benchmark process's own CPU time over the cell (the clients' gRPC, HTTP/2 and socket work, on the same cores) divided by the signatures.");
        md.AppendLine(Inv($"A 400-byte append + fsync on the state directory's filesystem took {r.FsyncMs:F2} ms (median of 200, before the load; it varies with the disk's other users). The audit log writes two records per request (the intent before the token, whose fsync a request waits for; the outcome after, which SIGNED does not wait for); records that wait are written together with one fsync (group commit)."));
        md.AppendLine();
        md.AppendLine(Inv($"Daemon memory (VmRSS, /proc/PID/status; MB = 10^6 bytes): idle {r.IdleMB:F1} MB ({IdleWhen(r.Idle)}; 3 s after start {r.Idle.AtStartMB:F1} MB); under load peak {r.PeakHwmMB:F1} MB (VmHWM; highest 50 ms sample {r.PeakSampledMB:F1} MB); after the load (read each second until within 20% of idle, at most a minute; the daemon trims its memory after 5 to 10 quiet seconds) {r.IdleAfterMB:F1} MB after {r.IdleAfterSeconds:F0} s."));
        md.AppendLine();

        var yard = r.Python.SignJsonPerSecond;
        var single8 = r.Cells.Single(c => c.Key == DaemonUnderTest.SoftwareKey && c.Kind == "single" && c.Clients == 8);
        var batch8 = r.Cells.Single(c => c.Key == DaemonUnderTest.SoftwareKey && c.Kind == "batch" && c.Clients == 8);
        var ceiling = r.Floor.MaxPerSecond(cores);
        var noSigning = r.Cells.FirstOrDefault(c => c.Kind == "nosign");
        // A signing call costs at least a call that signs nothing (daemon and clients) plus the Ed25519 work.
        var callCeiling = noSigning is null ? double.NaN
            : cores * 1e6 / (noSigning.DaemonCpuMicrosecondsPerSignature + noSigning.ClientCpuMicrosecondsPerSignature + r.Floor.MicrosecondsPerObject);
        var fsyncDuring = single8.FsyncDuringMs;
        string FsyncDuring() => fsyncDuring is null || fsyncDuring.Count == 0 ? ""
            : Inv($"an append + fsync beside this cell: p50 {fsyncDuring[fsyncDuring.Count / 2]:F2} ms, p99 {fsyncDuring[Math.Min(fsyncDuring.Count - 1, (int)(fsyncDuring.Count * 0.99))]:F2} ms (n {fsyncDuring.Count}); a request waits for its intent's; ");
        var fsyncP99 = fsyncDuring is null || fsyncDuring.Count == 0 ? double.NaN : fsyncDuring[Math.Min(fsyncDuring.Count - 1, (int)(fsyncDuring.Count * 0.99))];
        var p99Limit = 2 * fsyncP99 + 2.0;
        var memoryBack = r.IdleAfterMB <= 1.2 * r.IdleMB;

        // The issue's targets, as ratios to what the same run measured the machine allows (the earlier ones against
        // python were beyond two shared cores); python's rows stay in the table above as the yardstick.
        var targets = new (string Target, string Measured, bool Met, string Ceiling)[]
        {
            (Inv($"software token, 8 clients, single calls ≥ 50% of the same run's bound ({0.5 * callCeiling:F0}/s)"), Inv($"{single8.PerSecond:F0}/s = {100 * single8.PerSecond / callCeiling:F0}%"), single8.PerSecond >= 0.5 * callCeiling,
                noSigning is null ? "no call that signs nothing was measured"
                    : Inv($"the bound: a call that signs nothing ({noSigning.DaemonCpuMicrosecondsPerSignature:F0} µs daemon + {noSigning.ClientCpuMicrosecondsPerSignature:F0} µs clients) plus the Ed25519 floor ({r.Floor.MicrosecondsPerObject:F0} µs) on {cores} cores: {callCeiling:F0}/s ({100 * callCeiling / yard:F0}% of python `sign_json`)")),
            (Inv($"software token, 8 clients, batches of 1,000 ≥ 80% of the Ed25519 floor ({0.8 * ceiling:F0}/s)"), Inv($"{batch8.PerSecond:F0}/s = {100 * batch8.PerSecond / ceiling:F0}%"), batch8.PerSecond >= 0.8 * ceiling,
                Inv($"Ed25519 floor: {ceiling:F0}/s ({ceiling / yard:F2}× python `sign_json`)")),
            (Inv($"software token, 8 clients, single calls: p99 ≤ 2 × fsync p99 + 2 ms ({p99Limit:F2} ms)"), Inv($"{single8.Percentile(0.99):F2} ms"), single8.Percentile(0.99) <= p99Limit,
                FsyncDuring() + (noSigning is null ? "" : Inv($"a call that signs nothing, 8 clients: p99 {noSigning.Percentile(0.99):F2} ms"))),
            ("idle memory ≤ 80 MB, and within 20% of it again within a minute of the load", Inv($"{r.IdleMB:F1} MB (3 s after start {r.Idle.AtStartMB:F1} MB); {r.IdleAfterMB:F1} MB after {r.IdleAfterSeconds:F0} s ({(memoryBack ? "within" : "not within")} 20%)"), r.IdleMB <= 80.0 && memoryBack,
                Inv($"peak under load {r.PeakHwmMB:F1} MB")),
        };
        md.AppendLine("| target | measured | | what this machine allows, same run |");
        md.AppendLine("|---|---|---|---|");
        foreach (var (target, measured, met, allows) in targets)
        {
            md.AppendLine($"| {target} | {measured} | {(met ? "met" : "**missed**")} | {allows} |");
        }

        md.AppendLine();
        md.AppendLine($"Reproduce: `{command}`");
        return (md.ToString(), targets.All(t => t.Met));
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
