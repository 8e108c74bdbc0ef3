using System.Globalization;
using KeyCustody.Daemon.Bench;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;

// keycustodyd under load, one run: python-signedjson in-process first (the yardstick), then the real daemon
// over its Unix socket with 1, 8 and 32 clients per token, batches of 1,000, and the daemon's memory. Idle memory
// is read before any request, 3 s after start and once it settles (IdleMemory); then 3 s of load and one batch per
// key warm the daemon up, unmeasured.
// Options: --daemon DLL, --seconds N (measured window per cell, 5), --warmup N (2), --out FILE, --keep,
// --keys K1,K2 (only these keys: soft-ssk, hsm-ssk, sim-ssk; for profiling, the README's table is all three),
// --memory (only the daemon's memory: idle, a ~20 s burst, a minute after it, by mapping; see MemoryRun),
// --allocation (only the bytes the daemon allocates per object in batches of 1,000, one client; see AllocationRun).
var options = Options.Parse(args);
var repo = FindRepo();
var daemonDll = options.Daemon ?? Path.Combine(repo, "src/KeyCustody.Daemon/bin/Release/native/keycustodyd");
if (!File.Exists(daemonDll))
{
    Console.Error.WriteLine($"error: {daemonDll} is missing: scripts/build-native.sh compiles it");
    return 2;
}

var work = Directory.CreateTempSubdirectory("keycustody-daemon-bench-").FullName;
var loadAtStart = LoadAverage();
var devices = Devices.Create(1000);
var devicesFile = Path.Combine(work, "devices.jsonl");
File.WriteAllLines(devicesFile, devices.Select(d => System.Text.Encoding.UTF8.GetString(d)));
if (options.Allocation)
{
    var status = await AllocationRun.RunAsync(daemonDll, work, devices, options.Keys?[0] ?? DaemonUnderTest.SoftwareKey);
    if (!options.Keep)
    {
        Directory.Delete(work, recursive: true);
    }

    return status;
}

if (options.Memory)
{
    var status = await MemoryRun.RunAsync(daemonDll, work, devices, options.Keys ?? [DaemonUnderTest.SoftwareKey]);
    if (!options.Keep)
    {
        Directory.Delete(work, recursive: true);
    }

    return status;
}

Console.Error.WriteLine("python-signedjson yardstick...");
var python = Yardstick.Run(devicesFile);
var fsyncMs = FsyncProbe.MedianMilliseconds(work);
Console.Error.WriteLine("Ed25519 floor...");
var floor = CryptoFloor.Measure(devices, TimeSpan.FromSeconds(3));

Console.Error.WriteLine("starting keycustodyd...");
var cells = new List<CellResult>();
var keyNotes = new List<string>();
double idle, peakSampled, peakHwm, idleAfter, idleAfterSeconds;
IdleMemory.Reading idleReading;
await using (var daemon = await DaemonUnderTest.StartAsync(daemonDll, work))
{
    // Idle as an operator sees it: once the daemon has finished starting (its start-up trim, the first tiering), not 3 s in.
    Console.Error.WriteLine($"idle memory ({IdleMemory.Rule})...");
    idleReading = await IdleMemory.ReadAsync(daemon);
    Console.Error.WriteLine(idleReading.Stable
        ? string.Create(CultureInfo.InvariantCulture, $"idle memory settled: VmRSS {idleReading.SettledMB:F1} MB, {idleReading.SettledSeconds:F0} s after start")
        : string.Create(CultureInfo.InvariantCulture, $"idle memory not settled after {idleReading.SettledSeconds:F0} s: the last reading, VmRSS {idleReading.SettledMB:F1} MB, is taken"));
    idle = idleReading.SettledMB;
    var runner = new LoadRunner(daemon, devices);
    await using (var sampler = new MemorySampler(daemon))
    {
        // Steady state: every code path jitted and tiered up before the first measured cell.
        Console.Error.WriteLine("warm-up...");
        var benchKeys = new[] { DaemonUnderTest.SoftwareKey, DaemonUnderTest.SoftHsmKey, DaemonUnderTest.SimulatorKey }
            .Where(k => options.Keys is null || options.Keys.Contains(k)).ToArray();
        foreach (var key in benchKeys)
        {
            await runner.SinglesAsync(key, 8, TimeSpan.Zero, TimeSpan.FromSeconds(3));
            await runner.BatchesAsync(key, 1, 1);
        }

        Console.Error.WriteLine("no signing: 8 clients, ListKeys...");
        var noSigning = await runner.NoSigningAsync(8, TimeSpan.FromSeconds(options.Warmup), TimeSpan.FromSeconds(options.Seconds));
        cells.Add(noSigning);
        foreach (var key in benchKeys)
        {
            var info = await CheckOneSignatureAsync(daemon, key, devices[0]);
            keyNotes.Add($"{key} on {info.TokenKind} {info.TokenSerial}: presence {info.Presence}, touch policy {info.TouchPolicy}");
            foreach (var clients in new[] { 1, 8, 32 })
            {
                Console.Error.WriteLine($"{key}: {clients} clients, single calls...");
                var probeFsync = key == DaemonUnderTest.SoftwareKey && clients == 8 ? work : null;
                cells.Add(await runner.SinglesAsync(key, clients, TimeSpan.FromSeconds(options.Warmup), TimeSpan.FromSeconds(options.Seconds), probeFsync));
            }

            Console.Error.WriteLine($"{key}: batches...");
            cells.Add(await runner.BatchesAsync(key, 1, 3));
            // Six each, one after the other: with one batch each, the cell was mostly its own ramp (8 batches parsed at
            // once, then the token's turns, then the last one alone), not the daemon's steady throughput.
            cells.Add(await runner.BatchesAsync(key, 8, 6));
        }

        peakSampled = sampler.PeakMB;
    }

    peakHwm = daemon.MemoryMB("VmHWM");

    // The target: back within 20% of idle within a minute of the burst. Read each second until it is, or the minute is over.
    var burstOver = System.Diagnostics.Stopwatch.StartNew();
    do
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        idleAfter = daemon.MemoryMB("VmRSS");
    }
    while (idleAfter > 1.2 * idle && burstOver.Elapsed < TimeSpan.FromMinutes(1));
    idleAfterSeconds = burstOver.Elapsed.TotalSeconds;
}

var machine = $"{Environment.ProcessorCount} cores, {CpuModel()}, .NET {Environment.Version}, {Tool("/usr/bin/python3", "--version")}, " +
    $"python3-signedjson {Package("python3-signedjson")}, {SoftHsmModule.Describe(Package("softhsm2"))}; state directory (audit log, fsync per record) on {FileSystem(work)}";
var result = new RunResult(machine, loadAtStart, LoadAverage(), python, fsyncMs, floor, keyNotes, cells, idleReading, peakSampled, peakHwm, idleAfter, idleAfterSeconds);
var (markdown, allMet) = Report.Render(result, "bench/run-daemon.sh" + (args.Length > 0 ? " " + string.Join(' ', args) : string.Empty));
Console.WriteLine(markdown);
if (options.Out is not null)
{
    File.WriteAllText(options.Out, markdown);
}

if (!options.Keep)
{
    Directory.Delete(work, recursive: true);
}

return allMet ? 0 : 1;

// One signature per key, checked here against the key's public key: the load figures are for real signatures.
static async Task<KeyInfo> CheckOneSignatureAsync(DaemonUnderTest daemon, string key, byte[] device)
{
    using var client = daemon.Client();
    var info = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == key);
    var signed = await KeyCustody.Client.KeyCustodyClient.FollowAsync(
        client.Custody.SignJson(new SignJsonRequest { Key = key, Json = Google.Protobuf.ByteString.CopyFrom(device) }), null);
    var check = SignedJson.Verify(CanonicalJson.ParseObject(signed.SignedJson[0].Span), Devices.User, info.KeyId, Ed25519PublicKey.FromBase64(info.PublicKey));
    if (!check.IsValid)
    {
        throw new InvalidOperationException($"{key}: the daemon's signature does not verify: {check.Reason}");
    }

    return info;
}

static string FindRepo()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KeyCustody.sln")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? throw new InvalidOperationException("cannot find KeyCustody.sln above " + AppContext.BaseDirectory);
}

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

static string CpuModel() =>
    File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

static string Package(string name) => Tool("/usr/bin/dpkg-query", "-W", "-f=${Version}", name);

static string FileSystem(string path) => Tool("/usr/bin/findmnt", "-n", "-o", "FSTYPE", "--target", path);

static string Tool(string program, params string[] arguments)
{
    var start = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in arguments)
    {
        start.ArgumentList.Add(a);
    }

    using var p = System.Diagnostics.Process.Start(start)!;
    var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
    p.WaitForExit();
    return text.Trim();
}

/// <summary>Command-line options.</summary>
internal sealed record Options(string? Daemon, double Seconds, double Warmup, string? Out, bool Keep, string[]? Keys, bool Memory, bool Allocation = false)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(null, 5, 2, null, false, null, false);
        for (var i = 0; i < args.Length; i++)
        {
            o = args[i] switch
            {
                "--daemon" => o with { Daemon = args[++i] },
                "--seconds" => o with { Seconds = double.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = double.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--out" => o with { Out = args[++i] },
                "--keep" => o with { Keep = true },
                "--keys" => o with { Keys = args[++i].Split(',') },
                "--memory" => o with { Memory = true },
                "--allocation" => o with { Allocation = true },
                _ => throw new ArgumentException($"unknown option {args[i]} (--daemon DLL, --seconds N, --warmup N, --out FILE, --keep, --keys soft-ssk,hsm-ssk,sim-ssk, --memory, --allocation)"),
            };
        }

        return o;
    }
}
