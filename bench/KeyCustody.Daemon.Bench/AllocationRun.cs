using System.Diagnostics;
using System.Globalization;

namespace KeyCustody.Daemon.Bench;

/// <summary>
/// `--allocation`: bytes the real daemon allocates per signed object in batches of 1,000, HTTP/2, gRPC and logging
/// included (the in-process bench/KeyCustody.Daemon.Alloc sees only the request core). One client sends batches one after
/// another on the first key of `--keys` (soft-ssk), so the load is light; dotnet-counters (~/.dotnet/tools) reads the
/// daemon's <c>dotnet.gc.heap.total_allocated</c> over a fixed window, and the same window idle is subtracted.
/// Allocation does not depend on the machine's load: this is fine on a shared machine. It needs the JIT-compiled daemon
/// (`--daemon .../keycustodyd.dll`): the native one has no EventPipe to read counters from; the code, and what it
/// allocates, is the same.
/// </summary>
internal static class AllocationRun
{
    private const int Batches = 20;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Attach = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(string daemonDll, string work, IReadOnlyList<byte[]> devices, string key)
    {
        if (!daemonDll.EndsWith(".dll", StringComparison.Ordinal))
        {
            // The native daemon is built without EventSource support (the ahead-of-time default): no counters to read.
            Console.Error.WriteLine($"error: --allocation reads the daemon's counters over EventPipe, which the native {daemonDll} has none of: " +
                "pass --daemon src/KeyCustody.Daemon/bin/Release/net10.0/keycustodyd.dll (the same code, JIT-compiled)");
            return 2;
        }

        var counters = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-counters");
        if (!File.Exists(counters))
        {
            Console.Error.WriteLine($"error: {counters} is missing: dotnet tool install -g dotnet-counters");
            return 2;
        }

        Console.Error.WriteLine("starting keycustodyd...");
        await using var daemon = await DaemonUnderTest.StartAsync(daemonDll, work);
        var runner = new LoadRunner(daemon, devices);
        Console.Error.WriteLine("warm-up: 5 batches...");
        await runner.BatchesAsync(key, 1, 5);

        Console.Error.WriteLine($"idle for {Window.TotalSeconds:F0} s...");
        var idle = await AllocatedAsync(counters, daemon.Pid, Path.Combine(work, "idle.csv"), () => Task.FromResult(0));
        Console.Error.WriteLine($"{Batches} batches of {devices.Count}, one client, within {Window.TotalSeconds:F0} s...");
        var busy = await AllocatedAsync(counters, daemon.Pid, Path.Combine(work, "batches.csv"), async () =>
        {
            var cell = await runner.BatchesAsync(key, 1, Batches);
            return cell.Errors.Count == 0 ? cell.Signatures : throw new InvalidOperationException("batches failed: " + string.Join(", ", cell.Errors));
        });

        var perObject = (busy.Bytes - idle.Bytes) / (double)busy.Signed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"keycustodyd {daemonDll}: {perObject:F0} bytes allocated per signed object ({busy.Signed} objects on {key}, batches of {devices.Count}, one client; {busy.Bytes / 1e6:F1} MB in a {Window.TotalSeconds:F0} s window with them, {idle.Bytes / 1e6:F1} MB in one idle)"));
        return 0;
    }

    /// <summary>The daemon's allocated bytes over <see cref="Window"/>, with <paramref name="load"/> run once inside it (after the session attached).</summary>
    private static async Task<(long Bytes, int Signed)> AllocatedAsync(string counters, int pid, string csv, Func<Task<int>> load)
    {
        var start = new ProcessStartInfo(counters) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--counters", "System.Runtime[dotnet.gc.heap.total_allocated]",
                     "--refresh-interval", "1", "--format", "csv", "-o", csv, "--duration", $"00:00:00:{Window.TotalSeconds:00}" })
        {
            start.ArgumentList.Add(a);
        }

        using var session = Process.Start(start) ?? throw new InvalidOperationException("dotnet-counters did not start");
        var output = session.StandardOutput.ReadToEndAsync();
        var errors = session.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        await Task.Delay(Attach);
        var signed = await load();
        var loadEnded = clock.Elapsed;
        await session.WaitForExitAsync();
        if (loadEnded > Window - TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException($"the load took until {loadEnded.TotalSeconds:F0} s of a {Window.TotalSeconds:F0} s window: fewer batches, or a longer window");
        }

        var rows = File.ReadLines(csv).Skip(1).Select(l => l.Split(',')).Where(f => f.Length == 5 && f[2].StartsWith("dotnet.gc.heap.total_allocated", StringComparison.Ordinal)).ToList();
        if (rows.Count == 0)
        {
            throw new InvalidOperationException($"dotnet-counters wrote no allocation figures to {csv}: {await output} {await errors}");
        }

        return (rows.Sum(f => (long)double.Parse(f[4], CultureInfo.InvariantCulture)), signed);
    }
}
