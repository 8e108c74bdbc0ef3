using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Client;
using KeyCustody.Protos.V1;

namespace KeyCustody.Daemon.Bench;

/// <summary>One measured cell: completed signatures per second and call latencies, with failures by status.</summary>
internal sealed record CellResult(string Key, string Kind, int Clients, int Signatures, double Seconds, double DaemonCpuSeconds, IReadOnlyList<double> LatenciesMs, IReadOnlyDictionary<StatusCode, int> Errors)
{
    /// <summary>This process's CPU time over the same window: the clients (gRPC, HTTP/2, the socket), which share the machine.</summary>
    public double ClientCpuSeconds { get; init; } = double.NaN;

    /// <summary>Append + fsync latencies (ms) on the state directory's filesystem while the cell ran, when probed.</summary>
    public IReadOnlyList<double>? FsyncDuringMs { get; init; }

    public double ClientCpuMicrosecondsPerSignature => Signatures == 0 ? double.NaN : ClientCpuSeconds * 1e6 / Signatures;

    public double PerSecond => Signatures / Seconds;

    /// <summary>The daemon's CPU time per signature: what the machine's load cannot inflate much.</summary>
    public double DaemonCpuMicrosecondsPerSignature => Signatures == 0 ? double.NaN : DaemonCpuSeconds * 1e6 / Signatures;

    public double Percentile(double p)
    {
        if (LatenciesMs.Count == 0)
        {
            return double.NaN;
        }

        var sorted = LatenciesMs.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>
/// Concurrent callers, each with its own connection to the daemon's Unix socket (its own gRPC channel), each
/// following every signing stream to SIGNED before it sends the next request.
/// </summary>
internal sealed class LoadRunner(DaemonUnderTest daemon, IReadOnlyList<byte[]> devices)
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Single SignJson calls for <paramref name="warmup"/> (not counted), then for <paramref name="window"/>; with
    /// <paramref name="fsyncProbeDirectory"/>, an append + fsync there every 20 ms of the window, timed.
    /// </summary>
    public async Task<CellResult> SinglesAsync(string key, int clients, TimeSpan warmup, TimeSpan window, string? fsyncProbeDirectory = null)
    {
        var errors = new Errors();
        var clock = Stopwatch.StartNew();
        var from = warmup;
        var until = warmup + window;
        var cpu = CpuOverAsync(from, window);
        var probe = fsyncProbeDirectory is null ? Task.FromResult<List<double>?>(null) : Task.Run(async () =>
        {
            await Task.Delay(from);
            return (List<double>?)await FsyncProbe.DuringAsync(fsyncProbeDirectory, window, TimeSpan.FromMilliseconds(20));
        });
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            using var client = daemon.Client();
            var latencies = new List<double>();
            var index = c;
            while (clock.Elapsed < until)
            {
                var request = new SignJsonRequest { Key = key, Json = ByteString.CopyFrom(devices[index % devices.Count]) };
                index += clients;
                var started = clock.Elapsed;
                var ok = await CallAsync(client.Custody.SignJson(request, deadline: DateTime.UtcNow + CallDeadline), 1, errors, started >= from);
                var ended = clock.Elapsed;
                if (ok && started >= from && ended <= until)
                {
                    latencies.Add((ended - started).TotalMilliseconds);
                }
            }

            return latencies;
        })));
        var all = perClient.SelectMany(l => l).ToList();
        var (daemonCpu, clientCpu) = await cpu;
        return new CellResult(key, "single", clients, all.Count, window.TotalSeconds, daemonCpu, all, errors.Snapshot()) { ClientCpuSeconds = clientCpu, FsyncDuringMs = await probe };
    }

    /// <summary>
    /// The floor of a call on this machine: unary ListKeys (peer credentials, access rules, no token, no audit record)
    /// from <paramref name="clients"/> connections, measured like <see cref="SinglesAsync"/>.
    /// </summary>
    public async Task<CellResult> NoSigningAsync(int clients, TimeSpan warmup, TimeSpan window)
    {
        var errors = new Errors();
        var clock = Stopwatch.StartNew();
        var until = warmup + window;
        var cpu = CpuOverAsync(warmup, window);
        var perClient = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            using var client = daemon.Client();
            var latencies = new List<double>();
            while (clock.Elapsed < until)
            {
                var started = clock.Elapsed;
                try
                {
                    await client.Custody.ListKeysAsync(new ListKeysRequest(), deadline: DateTime.UtcNow + CallDeadline);
                }
                catch (RpcException e)
                {
                    errors.Add(e.StatusCode);
                    continue;
                }

                var ended = clock.Elapsed;
                if (started >= warmup && ended <= until)
                {
                    latencies.Add((ended - started).TotalMilliseconds);
                }
            }

            return latencies;
        })));
        var all = perClient.SelectMany(l => l).ToList();
        var (daemonCpu, clientCpu) = await cpu;
        return new CellResult("none", "nosign", clients, all.Count, window.TotalSeconds, daemonCpu, all, errors.Snapshot()) { ClientCpuSeconds = clientCpu };
    }

    /// <summary>Each client sends <paramref name="rounds"/> SignJsonBatch calls of every device; wall time from the first to the last.</summary>
    public async Task<CellResult> BatchesAsync(string key, int clients, int rounds)
    {
        var batch = new SignJsonBatchRequest { Key = key };
        batch.Json.AddRange(devices.Select(ByteString.CopyFrom));
        var errors = new Errors();
        var connections = Enumerable.Range(0, clients).Select(_ => daemon.Client()).ToList();
        try
        {
            // Connect first, so the wall time is signing, not HTTP/2 set-up.
            await Task.WhenAll(connections.Select(c => c.Custody.ListKeysAsync(new ListKeysRequest()).ResponseAsync));
            var cpuBefore = daemon.CpuSeconds();
            var clientCpuBefore = ThisProcessCpuSeconds();
            var clock = Stopwatch.StartNew();
            var perClient = await Task.WhenAll(connections.Select(client => Task.Run(async () =>
            {
                var latencies = new List<double>();
                for (var r = 0; r < rounds; r++)
                {
                    var started = clock.Elapsed;
                    if (await CallAsync(client.Custody.SignJsonBatch(batch, deadline: DateTime.UtcNow + CallDeadline), devices.Count, errors, true))
                    {
                        latencies.Add((clock.Elapsed - started).TotalMilliseconds);
                    }
                }

                return latencies;
            })));
            var seconds = clock.Elapsed.TotalSeconds;
            var cpu = daemon.CpuSeconds() - cpuBefore;
            var clientCpu = ThisProcessCpuSeconds() - clientCpuBefore;
            var all = perClient.SelectMany(l => l).ToList();
            return new CellResult(key, "batch", clients, all.Count * devices.Count, seconds, cpu, all, errors.Snapshot()) { ClientCpuSeconds = clientCpu };
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }

    /// <summary>The daemon's and this process's CPU seconds over <paramref name="window"/>, starting after <paramref name="from"/>.</summary>
    private Task<(double Daemon, double Clients)> CpuOverAsync(TimeSpan from, TimeSpan window) => Task.Run(async () =>
    {
        await Task.Delay(from);
        var before = daemon.CpuSeconds();
        var clientBefore = ThisProcessCpuSeconds();
        await Task.Delay(window);
        return (daemon.CpuSeconds() - before, ThisProcessCpuSeconds() - clientBefore);
    });

    private static double ThisProcessCpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    private static async Task<bool> CallAsync(AsyncServerStreamingCall<SignEvent> call, int expected, Errors errors, bool counted)
    {
        try
        {
            var signed = await KeyCustodyClient.FollowUntilSignedAsync(call, null);
            if (signed.SignedJson.Count != expected)
            {
                throw new InvalidOperationException($"expected {expected} signed objects, got {signed.SignedJson.Count}");
            }

            return true;
        }
        catch (RpcException e)
        {
            if (counted)
            {
                errors.Add(e.StatusCode);
            }

            return false;
        }
    }

    private sealed class Errors
    {
        private readonly Dictionary<StatusCode, int> _counts = [];

        public void Add(StatusCode code)
        {
            lock (_counts)
            {
                _counts[code] = _counts.GetValueOrDefault(code) + 1;
            }
        }

        public Dictionary<StatusCode, int> Snapshot()
        {
            lock (_counts)
            {
                return new Dictionary<StatusCode, int>(_counts);
            }
        }
    }
}
