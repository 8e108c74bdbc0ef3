using System.Globalization;
using System.Text;
using KeyCustody.HwSim;

namespace KeyCustody.Cards.Bench;

/// <summary>The two README tables (throughput against card count; the time the daemon adds) and whether the targets were met.</summary>
internal static class Report
{
    public const double ScalingTarget = 0.9;
    public const double AddedP50TargetMs = 1;
    public const double AddedP99TargetMs = 5;

    public static (string Markdown, bool AllMet) Render(
        IReadOnlyList<(CellResult Throughput, CellResult Latency)> cells, IReadOnlyList<(CellResult Direct, List<double> Paced)> floors, CardTiming timing, (double P50, double P99) pcscPath, string machine, string loadAtStart, string loadAtEnd, string command)
    {
        var md = new StringBuilder();
        bool allMet = true;
        md.AppendLine(Inv($"Machine: {machine}. Load average (1/5/15 min) at start {loadAtStart}, at end {loadAtEnd}."));
        md.AppendLine();
        md.AppendLine(timing == CardTiming.None
            ? "Cards: hw-sim without a timing model (as fast as the simulator runs)."
            : "Cards: hw-sim with `CardTiming.YubiKey5` (a command 1.257 ms, an Ed25519/P-256 signature 71.572 ms; Jsign's PIV benchmark of a YubiKey 5 NFC), each behind its own vpcd slot of one pcscd; one Ed25519 key per card in 9a, PIN and touch policy never.");
        md.AppendLine();
        md.AppendLine("| cards | callers | signatures/s | ≥ 0.9 × N × one card | cards busy | card commands per signature | p50 ms | p99 ms | daemon CPU µs/signature | failed |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        var one = cells[0].Throughput.PerSecond / cells[0].Throughput.Cards;
        foreach (var (t, _) in cells)
        {
            var ratio = t.PerSecond / (t.Cards * one);
            bool met = ratio >= ScalingTarget;
            allMet &= met;
            md.AppendLine(Inv($"| {t.Cards} | {t.Clients} | {t.PerSecond:F1} | {ratio:F2} × {(met ? "met" : "**missed**")} | {t.Utilization:P0} | {t.CommandsPerSignature:F1} | {t.Latency(0.5):F1} | {t.Latency(0.99):F1} | {t.DaemonCpuMicrosecondsPerSignature:F0} | {t.Failed} |"));
        }

        md.AppendLine();
        md.AppendLine("One caller per card: each call's latency split by its card's busy intervals while it was in flight (ms; \"added\" = latency − the card's own time; before the card's first command, between its commands, after its last).");
        md.AppendLine();
        md.AppendLine("| cards | calls | latency p50 / p99 | card's own time p50 / p99 | added p50 (≤ 1) | added p99 (≤ 5) | before p50 | between p50 | after p50 |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (_, l) in cells)
        {
            bool p50 = l.Added(0.5) <= AddedP50TargetMs;
            bool p99 = l.Added(0.99) <= AddedP99TargetMs;
            allMet &= p50 && p99;
            md.AppendLine(Inv($"| {l.Cards} | {l.Latencies.Count} | {l.Latency(0.5):F1} / {l.Latency(0.99):F1} | {l.Card(0.5):F1} / {l.Card(0.99):F1} | {l.Added(0.5):F2} {(p50 ? "met" : "**missed**")} | {l.Added(0.99):F2} {(p99 ? "met" : "**missed**")} | {l.Before(0.5):F2} | {l.Between(0.5):F2} | {l.After(0.5):F2} |"));
        }

        md.AppendLine();
        md.AppendLine("The floors, same run, same pace: a program per card signing directly through the same pcscd and vpcd (a PC/SC transaction, GENERAL AUTHENTICATE over the same messages, chained; split by the card's busy intervals like the daemon's calls), and a call that signs nothing (ListKeys) through the daemon, one caller per card, each calling once every p50 latency of the one-caller-per-card cell; their sum is a sum of medians, an estimate (ms).");
        md.AppendLine();
        md.AppendLine("| cards | direct signer: latency p50 | direct signer: added p50 / p99 | a call that signs nothing: p50 / p99 | the two floors together, p50 | the daemon's added p50 / p99 | the daemon's own work: added less the two floors, p50 |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        for (var i = 0; i < floors.Count; i++)
        {
            var (d, paced) = floors[i];
            var l = cells[i].Latency;
            double together = d.Added(0.5) + CellResult.Percentile(paced, 0.5);
            md.AppendLine(Inv($"| {d.Cards} | {d.Latency(0.5):F1} | {d.Added(0.5):F2} / {d.Added(0.99):F2} | {CellResult.Percentile(paced, 0.5):F2} / {CellResult.Percentile(paced, 0.99):F2} | {together:F2}{(together > AddedP50TargetMs ? " (over the target's 1 ms)" : string.Empty)} | {l.Added(0.5):F2} / {l.Added(0.99):F2} | {l.Added(0.5) - together:F2} |"));
        }

        md.AppendLine();
        md.AppendLine(Inv($"pcscd + vpcd alone add {pcscPath.P50:F2} ms (p50; p99 {pcscPath.P99:F2} ms) to a command (GET VERSION from this process through libpcsclite, less the card's busy time); \"added\" includes that for each of the card commands per signature, since a real YubiKey's figures already include its USB and PC/SC round trip."));
        md.AppendLine();
        md.AppendLine("Command: `" + command + "`.");
        return (md.ToString(), allMet);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
