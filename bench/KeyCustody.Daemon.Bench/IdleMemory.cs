using System.Diagnostics;

namespace KeyCustody.Daemon.Bench;

/// <summary>
/// The daemon's idle memory as an operator would see it: not the moment it starts serving, but once it has finished
/// starting. Right after it serves, the daemon's start-up trim (IdleMemoryTrim) is still running (a full collection, a
/// 2.5 s wait for the JIT's slabs, malloc_trim) and the runtime is still tiering up start-up code, which may trim again.
/// VmRSS is read 3 s after start (what this bench used to call idle, reported beside) and then every second; it is
/// settled once <see cref="Window"/> of readings span no more than <see cref="Band"/> MB, or after
/// <see cref="Longest"/> whatever it is doing (then the last reading is taken, and the report says how long it took).
/// </summary>
internal static class IdleMemory
{
    public static readonly TimeSpan AtStart = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(90);
    private const int Window = 15;
    private const double Band = 1.0;

    /// <summary>When the reading is taken, for the bench's progress line.</summary>
    public static string Rule { get; } = string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"until {Window} readings a second apart span at most {Band:F0} MB, at most {Longest.TotalSeconds:F0} s after start");

    public sealed record Reading(double AtStartMB, double SettledMB, double SettledSeconds, bool Stable);

    /// <summary>Call as soon as DaemonUnderTest.StartAsync returns (the daemon serves): times count from then.</summary>
    public static async Task<Reading> ReadAsync(DaemonUnderTest daemon)
    {
        var started = Stopwatch.StartNew();
        await DelayUntil(started, AtStart);
        var atStart = daemon.MemoryMB("VmRSS");
        var recent = new Queue<double>([atStart]);
        while (started.Elapsed < Longest)
        {
            await DelayUntil(started, started.Elapsed + TimeSpan.FromSeconds(1));
            recent.Enqueue(daemon.MemoryMB("VmRSS"));
            if (recent.Count > Window)
            {
                recent.Dequeue();
            }

            if (recent.Count == Window && recent.Max() - recent.Min() <= Band)
            {
                return new Reading(atStart, recent.Last(), started.Elapsed.TotalSeconds, true);
            }
        }

        return new Reading(atStart, recent.Last(), started.Elapsed.TotalSeconds, false);
    }

    private static Task DelayUntil(Stopwatch started, TimeSpan when)
    {
        var wait = when - started.Elapsed;
        return wait > TimeSpan.Zero ? Task.Delay(wait) : Task.CompletedTask;
    }
}
