using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using KeyCustody.Client;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Bench;

/// <summary>
/// The real keycustodyd (`dotnet keycustodyd.dll --config FILE`) with three tokens, each holding one
/// self-signing key of <see cref="Devices.User"/>: a software token, a SoftHSM2 token and an in-process hw-sim
/// card (auto-touch, no delay). Its memory is read from /proc/PID/status.
/// </summary>
internal sealed class DaemonUnderTest : IAsyncDisposable
{
    public const string SoftwareKey = "soft-ssk";
    public const string SoftHsmKey = "hsm-ssk";
    public const string SimulatorKey = "sim-ssk";

    private readonly Process _process;
    private readonly StreamWriter _log;

    private DaemonUnderTest(Process process, string socket, StreamWriter log)
    {
        _process = process;
        Socket = socket;
        _log = log;
    }

    public string Socket { get; }

    public int Pid => _process.Id;

    public static async Task<DaemonUnderTest> StartAsync(string daemonDll, string work)
    {
        var state = Directory.CreateDirectory(Path.Combine(work, "state")).FullName;
        File.SetUnixFileMode(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var software = Directory.CreateDirectory(Path.Combine(work, "software-token")).FullName;
        File.SetUnixFileMode(software, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var hsm = new SoftHsmTokens(work, SoftHsmModule.Path);
        hsm.CreateToken("bench");
        var socket = Path.Combine(work, "keycustodyd.sock");
        var uid = GetEuid();

        var config = new JsonObject
        {
            ["stateDirectory"] = state,
            ["listen"] = new JsonObject { ["unixSocket"] = socket, ["socketMode"] = "0600" },
            // Room for 32 clients on a one-at-a-time card: the benchmark measures throughput, not back-pressure. And room
            // for one cell's 32 connections while the next cell opens its own: the daemon counts a connection (all are
            // this process's uid) until Kestrel is done with it, so at the default cap of 32 a cell's first connections
            // were once refused while the previous cell's were still closing (a full run aborted at its last cell).
            ["limits"] = new JsonObject { ["maxQueuePerToken"] = 64, ["maxBatch"] = 1000, ["maxConnectionsPerPeer"] = 64 },
            ["tokens"] = new JsonArray(
                new JsonObject { ["name"] = "soft", ["kind"] = "software", ["directory"] = software },
                new JsonObject
                {
                    ["name"] = "hsm", ["kind"] = "pkcs11", ["module"] = hsm.ModulePath, ["tokenLabel"] = "bench", ["sessions"] = 2,
                    ["pin"] = new JsonObject { ["file"] = SecretFile(work, "hsm.pin", SoftHsmTokens.UserPin) },
                },
                new JsonObject
                {
                    // demoKeys: the daemon's simulator bootstrap makes the card's keys at first start (9a: PIN never, touch
                    // always); daemons from before that setting existed ignore it and always bootstrap.
                    ["name"] = "sim", ["kind"] = "simulator", ["serial"] = 30000001, ["touch"] = "auto", ["touchDelayMs"] = 0, ["demoKeys"] = true,
                    ["stateFile"] = Path.Combine(state, "card.json"),
                    ["pin"] = new JsonObject { ["file"] = SecretFile(work, "sim.pin", "123456") },
                    ["managementKey"] = new JsonObject { ["file"] = SecretFile(work, "sim.mgm", "010203040506070801020304050607080102030405060708") },
                }),
            ["keys"] = new JsonArray(
                // Tokens without a button would wait for an operator's approval: presence "none" (automation).
                Key(SoftwareKey, "soft", "ssk", "none"),
                Key(SoftHsmKey, "hsm", "ssk", "none"),
                // The card's 9a key has a touch policy (always): presence stays "auto", so the daemon goes through
                // the touch prompt for every signature and the card touches itself at once.
                Key(SimulatorKey, "sim", "9a", null)),
            ["access"] = new JsonArray(new JsonObject
            {
                ["principal"] = "uid:" + uid.ToString(CultureInfo.InvariantCulture),
                ["keys"] = new JsonArray("*"),
                ["operations"] = new JsonArray("sign", "admin"),
            }),
        };
        var configFile = Path.Combine(work, "keycustodyd.json");
        File.WriteAllText(configFile, config.ToJsonString());
        File.SetUnixFileMode(configFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // The daemon as shipped (the native executable scripts/build-native.sh makes) or a build's keycustodyd.dll.
        var dll = daemonDll.EndsWith(".dll", StringComparison.Ordinal);
        var start = new ProcessStartInfo(dll ? "dotnet" : daemonDll) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in dll ? new[] { daemonDll, "--config", configFile } : ["--config", configFile])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SOFTHSM2_CONF"] = hsm.ConfigPath;
        var process = Process.Start(start) ?? throw new InvalidOperationException("keycustodyd did not start");

        // Its console log (one line per request, as journald would get it) goes to a file, so a full pipe never stalls it.
        var log = new StreamWriter(Path.Combine(work, "keycustodyd.log")) { AutoFlush = false };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var daemon = new DaemonUnderTest(process, socket, log);
        try
        {
            await daemon.WaitUntilServingAsync(work);
            using var client = daemon.Client();
            var keys = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys;
            foreach (var (key, token, keyId, touch) in new[] { (SoftwareKey, "soft", "ssk", "default"), (SoftHsmKey, "hsm", "ssk", "default"), (SimulatorKey, "sim", "9a", "cached") })
            {
                // The card's key normally comes from the bootstrap; made here, with the same policies, if it did not.
                if (keys.Single(k => k.Name == key).PublicKey.Length == 0)
                {
                    await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Token = token, KeyId = keyId, PinPolicy = token == "sim" ? "never" : "default", TouchPolicy = touch });
                }

                // The software token and SoftHSM2 attest nothing: an admin accepts their self-signing keys (audited), as an
                // operator would; the card's key is attested against the daemon's simulator root.
                var listed = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == key);
                if (!listed.Provenance.Trusted)
                {
                    await client.Admin.AcceptKeyAsync(new KeyDecisionRequest { Key = key, PublicKey = listed.PublicKey, Reason = "benchmark: the token cannot attest its keys" });
                }
            }

            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    public KeyCustodyClient Client() => KeyCustodyClient.ConnectUnix(Socket);

    /// <summary>VmRSS (now) or VmHWM (peak since start) from /proc/PID/status, in MB (10^6 bytes, as the target is stated).</summary>
    public double MemoryMB(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kb = long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb * 1024 / 1e6;
            }
        }

        throw new InvalidOperationException($"no {field} in /proc/{Pid}/status");
    }

    /// <summary>CPU time the daemon has used (user + system, /proc/PID/stat), in seconds.</summary>
    public double CpuSeconds()
    {
        // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime 15.
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / (double)ClockTicksPerSecond;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var term = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
            if (!_process.WaitForExit(15_000))
            {
                _process.Kill();
            }
        }

        _process.WaitForExit();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private async Task WaitUntilServingAsync(string work)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"keycustodyd exited with {_process.ExitCode}; see {Path.Combine(work, "keycustodyd.log")}");
            }

            if (File.Exists(Socket))
            {
                try
                {
                    using var client = Client();
                    await client.Custody.ListKeysAsync(new ListKeysRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
                    return;
                }
                catch (Grpc.Core.RpcException)
                {
                    // Not serving yet.
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("keycustodyd did not serve within 120 s");
    }

    private static JsonObject Key(string name, string token, string keyId, string? presence)
    {
        var key = new JsonObject { ["name"] = name, ["token"] = token, ["keyId"] = keyId, ["role"] = "self_signing", ["owner"] = Devices.User };
        if (presence is not null)
        {
            key["presence"] = presence;
        }

        return key;
    }

    private static string SecretFile(string work, string name, string value)
    {
        var path = Path.Combine(work, name);
        File.WriteAllText(path, value);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    /// <summary>sysconf(_SC_CLK_TCK): the unit of utime and stime.</summary>
    private static long ClockTicksPerSecond => Sysconf(2);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sysconf")]
    private static extern long Sysconf(int name);
}
