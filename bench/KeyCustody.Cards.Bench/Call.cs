using System.Diagnostics;
using KeyCustody.HwSim;

namespace KeyCustody.Cards.Bench;

/// <summary>One SignJson call on one card's key, in <see cref="Stopwatch"/> timestamps of this process (the cards' clock too).</summary>
internal sealed record Call(int Card, long Start, long End, bool Ok)
{
    public double LatencyMs => Stopwatch.GetElapsedTime(Start, End).TotalMilliseconds;

    /// <summary>
    /// Where the call's time went, from its card's busy intervals while it was in flight: the card's own time, the
    /// time before the card's first command, between its commands, and after its last. With one call in flight per
    /// card these are the call's own; the rest of the latency is what the daemon (and pcscd + vpcd) added.
    /// </summary>
    public Breakdown Split(IReadOnlyList<BusyInterval> busy)
    {
        double cardMs = 0;
        long? first = null;
        long last = 0;
        foreach (var interval in busy)
        {
            long from = Math.Max(interval.Start, Start);
            long until = Math.Min(interval.End, End);
            if (until <= from)
            {
                continue;
            }

            cardMs += Stopwatch.GetElapsedTime(from, until).TotalMilliseconds;
            first ??= from;
            last = until;
        }

        if (first is null)
        {
            return new Breakdown(0, LatencyMs, 0, 0, 0);
        }

        double before = Stopwatch.GetElapsedTime(Start, first.Value).TotalMilliseconds;
        double after = Stopwatch.GetElapsedTime(last, End).TotalMilliseconds;
        return new Breakdown(cardMs, LatencyMs - cardMs, before, LatencyMs - cardMs - before - after, after);
    }
}

/// <summary>A call's latency split into the card's own time and the time added around it (ms).</summary>
internal readonly record struct Breakdown(double CardMs, double AddedMs, double BeforeMs, double BetweenMs, double AfterMs);
