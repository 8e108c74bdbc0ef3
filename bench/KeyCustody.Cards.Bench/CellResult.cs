using System.Diagnostics;
using KeyCustody.HwSim;

namespace KeyCustody.Cards.Bench;

/// <summary>
/// One measured cell: <see cref="Cards"/> cards, <see cref="Clients"/> callers spread over them. Throughput counts the
/// signatures completed inside the window (whenever they started); latencies are of calls wholly inside it.
/// </summary>
internal sealed class CellResult
{
    public CellResult(int cards, int clients, long from, long until, IReadOnlyList<Call> calls, IReadOnlyList<IReadOnlyList<BusyInterval>> busy, double daemonCpuSeconds)
    {
        Cards = cards;
        Clients = clients;
        Seconds = Stopwatch.GetElapsedTime(from, until).TotalSeconds;
        Completed = calls.Count(c => c.Ok && c.End >= from && c.End <= until);
        Failed = calls.Count(c => !c.Ok && c.End >= from && c.End <= until);
        var inside = calls.Where(c => c.Ok && c.Start >= from && c.End <= until).ToList();
        Latencies = inside.Select(c => c.LatencyMs).Order().ToList();
        Breakdowns = inside.Select(c => c.Split(busy[c.Card])).ToList();
        double busyMs = 0;
        int commands = 0;
        foreach (var interval in busy.SelectMany(b => b))
        {
            long start = Math.Max(interval.Start, from);
            long end = Math.Min(interval.End, until);
            if (end > start)
            {
                busyMs += Stopwatch.GetElapsedTime(start, end).TotalMilliseconds;
                commands++;
            }
        }

        Utilization = busyMs / (cards * Seconds * 1000);
        CommandsPerSignature = Completed == 0 ? double.NaN : commands / (double)Completed;
        DaemonCpuMicrosecondsPerSignature = Completed == 0 ? double.NaN : daemonCpuSeconds * 1e6 / Completed;
    }

    public int Cards { get; }
    public int Clients { get; }
    public double Seconds { get; }
    public int Completed { get; }
    public int Failed { get; }
    public IReadOnlyList<double> Latencies { get; }
    public IReadOnlyList<Breakdown> Breakdowns { get; }

    /// <summary>The share of the window the cards were busy with commands (1: the cards are the bottleneck).</summary>
    public double Utilization { get; }

    public double CommandsPerSignature { get; }
    public double DaemonCpuMicrosecondsPerSignature { get; }

    public double PerSecond => Completed / Seconds;

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    public double Latency(double p) => Percentile(Latencies, p);

    public double Card(double p) => Percentile(Breakdowns.Select(b => b.CardMs).ToList(), p);

    public double Added(double p) => Percentile(Breakdowns.Select(b => b.AddedMs).ToList(), p);

    public double Before(double p) => Percentile(Breakdowns.Select(b => b.BeforeMs).ToList(), p);

    public double Between(double p) => Percentile(Breakdowns.Select(b => b.BetweenMs).ToList(), p);

    public double After(double p) => Percentile(Breakdowns.Select(b => b.AfterMs).ToList(), p);
}
