using System.Globalization;
using KeyCustody.Cards.Bench;
using KeyCustody.Daemon.Bench;
using KeyCustody.HwSim;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;

// Many cards and the time the daemon adds, in one run: the real keycustodyd signing through the real pcscd + vpcd on
// hw-sim cards that take a YubiKey 5's time per command (CardTiming.YubiKey5), hosted in this process so each card's
// busy time is known. For 1, 2, 4 and 8 cards: 8-32 callers spread over them (throughput against 0.9 x N x one
// card), then one caller per card (the time the daemon adds to a signature over the card's own time, p50 and p99,
// with the audit log on disk). Options: --seconds N (measured window per cell, 10), --warmup N (3), --cards 1,2,4,8,
// --timing yubikey5|none, --daemon DLL, --out FILE, --keep (keep the work directory: daemon log, audit log).
var options = Options.Parse(args);
var repo = FindRepo();
var daemonDll = options.Daemon ?? Path.Combine(repo, "src/KeyCustody.Daemon/bin/Release/native/keycustodyd");
if (!File.Exists(daemonDll))
{
    Console.Error.WriteLine($"error: {daemonDll} is missing: scripts/build-native.sh compiles it");
    return 2;
}

var work = Directory.CreateTempSubdirectory("keycustody-cards-bench-").FullName;
var loadAtStart = LoadAverage();
var devices = Devices.Create(1000);
var fsyncMs = FsyncMedianMilliseconds(work);
var timing = options.Timing == "none" ? CardTiming.None : CardTiming.YubiKey5;
var cells = new List<(CellResult Throughput, CellResult Latency)>();
var floors = new List<(CellResult Direct, List<double> Paced)>();
Console.Error.WriteLine($"{options.Cards.Max()} cards behind a private pcscd...");
(double P50, double P99) pcscPath;
using (var rig = new CardRig(options.Cards.Max(), timing))
{
    pcscPath = PcscPath.MeasureMilliseconds(rig);
    Console.Error.WriteLine("starting keycustodyd and generating a key on every card...");
    await using var daemon = await CardsDaemon.StartAsync(daemonDll, work, rig.Pcscd, options.Cards.Max());
    var publicKeys = new List<Ed25519PublicKey>();
    for (var i = 0; i < options.Cards.Max(); i++)
    {
        publicKeys.Add(await CheckOneSignatureAsync(daemon, CardsDaemon.KeyName(i), devices[i]));
    }

    var load = new CardLoad(daemon, rig, devices);
    var warmup = TimeSpan.FromSeconds(options.Warmup);
    var window = TimeSpan.FromSeconds(options.Seconds);

    // Steady state first: every code path jitted and tiered up, every card's session open, before the first cell
    // (the one-card cell is the yardstick of the others).
    Console.Error.WriteLine("warm-up on every card...");
    await load.RunAsync(options.Cards.Max(), Math.Clamp(4 * options.Cards.Max(), 8, 32), TimeSpan.Zero, TimeSpan.FromSeconds(Math.Max(5, options.Warmup)));
    foreach (var n in options.Cards)
    {
        int clients = Math.Clamp(4 * n, 8, 32);
        Console.Error.WriteLine($"{n} card(s): {clients} callers...");
        var throughput = await load.RunAsync(n, clients, warmup, window);
        Console.Error.WriteLine($"{n} card(s): one caller per card...");
        var latency = await load.RunAsync(n, n, warmup, window);
        cells.Add((throughput, latency));
        Console.Error.WriteLine($"{n} card(s): the floors (a direct PC/SC signer per card; a call that signs nothing at the same pace)...");
        var direct = Floors.DirectSigners(rig, n, devices, publicKeys, warmup, window);
        var paced = await Floors.PacedCallsAsync(daemon, n, TimeSpan.FromMilliseconds(latency.Latency(0.5)), warmup, window);
        floors.Add((direct, paced));
    }
}

var machine = $"{Environment.ProcessorCount} cores, {CpuModel()}, .NET {Environment.Version}, pcscd {Package("pcscd")}, vsmartcard-vpcd {Package("vsmartcard-vpcd")}; "
    + $"state directory (audit log, fsync per record) on {FileSystem(work)}, append + fsync median {fsyncMs.ToString("F2", CultureInfo.InvariantCulture)} ms";
var command = "bench/run-cards.sh" + (args.Length > 0 ? " " + string.Join(' ', args) : string.Empty);
var (markdown, allMet) = Report.Render(cells, floors, timing, pcscPath, machine, loadAtStart, LoadAverage(), command);
Console.WriteLine(markdown);
if (options.Out is not null)
{
    File.WriteAllText(options.Out, markdown);
}

if (!options.Keep)
{
    Directory.Delete(work, recursive: true);
}
else
{
    Console.Error.WriteLine("kept " + work);
}

return allMet ? 0 : 1;

// One signature per key, checked here against the key's public key: the load figures are for real signatures.
static async Task<Ed25519PublicKey> CheckOneSignatureAsync(CardsDaemon daemon, string key, byte[] device)
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

    return Ed25519PublicKey.FromBase64(info.PublicKey);
}

static double FsyncMedianMilliseconds(string directory)
{
    var path = Path.Combine(directory, "fsync-probe");
    var line = new byte[400];
    line.AsSpan().Fill((byte)'x');
    var times = new List<double>();
    using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None))
    {
        for (var i = 0; i < 100; i++)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            file.Write(line);
            file.Flush(flushToDisk: true);
            times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    File.Delete(path);
    return CellResult.Percentile(times, 0.5);
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
internal sealed record Options(string? Daemon, double Seconds, double Warmup, int[] Cards, string Timing, string? Out, bool Keep)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(null, 10, 3, [1, 2, 4, 8], "yubikey5", null, false);
        for (var i = 0; i < args.Length; i++)
        {
            o = args[i] switch
            {
                "--daemon" => o with { Daemon = args[++i] },
                "--seconds" => o with { Seconds = double.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = double.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--cards" => o with { Cards = args[++i].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray() },
                "--timing" => o with { Timing = args[++i] is "yubikey5" or "none" ? args[i] : throw new ArgumentException("--timing is yubikey5 or none") },
                "--out" => o with { Out = args[++i] },
                "--keep" => o with { Keep = true },
                _ => throw new ArgumentException($"unknown option {args[i]} (--seconds N, --warmup N, --cards 1,2,4,8, --timing yubikey5|none, --daemon DLL, --out FILE, --keep)"),
            };
        }

        if (o.Cards.Length == 0 || o.Cards.Any(c => c is < 1 or > 16))
        {
            throw new ArgumentException("--cards: between 1 and 16 each");
        }

        return o;
    }
}
