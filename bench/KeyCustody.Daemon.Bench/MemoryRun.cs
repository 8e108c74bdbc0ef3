using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace KeyCustody.Daemon.Bench;

/// <summary>
/// `--memory`: the daemon's memory alone, without the throughput cells: where its resident memory is when idle after
/// start (3 s and 90 s after it serves), and every 5 s for a minute after a short burst (8 and 24 clients of single calls and 8 concurrent batches of
/// 1,000 on the keys of `--keys`, about 20 s; 24, not 32: the 32 connections of one cell and the next cell's new ones
/// would meet the daemon's cap of 32 connections per peer while the old ones close). For trying runtime settings: DOTNET_* variables in the environment reach
/// the daemon (and this process) and are printed with the result.
/// </summary>
internal static class MemoryRun
{
    private const int SettledSeconds = 90;

    private static readonly string[] Fields = ["VmRSS", "Pss", "RssAnon", "RssFile", "RssShmem"];

    public static async Task<int> RunAsync(string daemonDll, string work, IReadOnlyList<byte[]> devices, string[] keys)
    {
        var report = new StringBuilder();
        var settings = Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal)).Order()
            .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}");
        report.AppendLine(CultureInfo.InvariantCulture, $"Daemon memory, MB = 10^6 bytes (VmRSS, RssAnon/File/Shmem: /proc/PID/status; Pss: smaps_rollup). Settings: {string.Join(' ', settings.DefaultIfEmpty("runtime defaults"))}; SoftHSM2 module {SoftHsmModule.Path}");
        report.AppendLine();
        report.AppendLine("| when | " + string.Join(" | ", Fields) + " |");
        report.AppendLine("|---" + string.Concat(Enumerable.Repeat("|---:", Fields.Length)) + "|");
        Console.Error.WriteLine("starting keycustodyd...");
        await using var daemon = await DaemonUnderTest.StartAsync(daemonDll, work);
        // Progress on stderr, like the full run's: the wait below is a minute and a half of silence otherwise.
        Console.Error.WriteLine($"idle memory: read 3 s and {SettledSeconds} s after start, once the runtime has finished tiering up start-up code (about {SettledSeconds} s)...");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var atStart = Row(report, "idle 3 s after start (the full run reads it once settled)", daemon.Pid);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle memory 3 s after start: VmRSS {atStart:F1} MB; the next reading in {SettledSeconds - 3} s..."));

        // The runtime goes on compiling (tiering up start-up code) for a minute or so: idle is read again after it.
        await Task.Delay(TimeSpan.FromSeconds(SettledSeconds - 3));
        var settled = Row(report, $"idle {SettledSeconds} s after start", daemon.Pid);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle memory {SettledSeconds} s after start: VmRSS {settled:F1} MB"));
        var idleMappings = ProcessMemory.ByMapping(daemon.Pid);

        var runner = new LoadRunner(daemon, devices);
        var peak = 0.0;
        await using (var sampler = new MemorySampler(daemon))
        {
            foreach (var key in keys)
            {
                Console.Error.WriteLine($"{key}: burst...");
                await runner.SinglesAsync(key, 8, TimeSpan.Zero, TimeSpan.FromSeconds(5));
                await runner.SinglesAsync(key, 24, TimeSpan.Zero, TimeSpan.FromSeconds(5));
                await runner.BatchesAsync(key, 8, 1);
            }

            peak = sampler.PeakMB;
        }

        _ = Row(report, $"end of the burst (peak {peak:F1})", daemon.Pid);
        Console.Error.WriteLine("after the burst: memory read every 5 s for a minute...");
        var after = Stopwatch.StartNew();
        for (var s = 5; s <= 60; s += 5)
        {
            await Task.Delay(TimeSpan.FromSeconds(s) - after.Elapsed);
            _ = Row(report, $"{s} s after", daemon.Pid);
        }

        report.AppendLine();
        report.AppendLine("| mapping | idle (90 s) Rss | idle Pss | 60 s after the burst Rss | 60 s after Pss |");
        report.AppendLine("|---|---:|---:|---:|---:|");
        var afterMappings = ProcessMemory.ByMapping(daemon.Pid);
        foreach (var group in idleMappings.Select(m => m.Group).Union(afterMappings.Select(m => m.Group)))
        {
            var i = idleMappings.FirstOrDefault(m => m.Group == group);
            var a = afterMappings.FirstOrDefault(m => m.Group == group);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {group} | {Mb(i.Rss):F1} | {Mb(i.Pss):F1} | {Mb(a.Rss):F1} | {Mb(a.Pss):F1} |");
        }

        Console.WriteLine(report);
        return 0;
    }

    /// <summary>Adds one row of the table; returns its VmRSS in MB (for the progress line).</summary>
    private static double Row(StringBuilder report, string when, int pid)
    {
        var kb = ProcessMemory.Rollup(pid);
        var values = string.Join(" | ", Fields.Select(f => Mb(kb[f]).ToString("F1", CultureInfo.InvariantCulture)));
        report.AppendLine(CultureInfo.InvariantCulture, $"| {when} | {values} |");
        return Mb(kb["VmRSS"]);
    }

    private static double Mb(long kb) => kb * 1024 / 1e6;
}
