using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using KeyCustody.Client;
using KeyCustody.Daemon.Bench;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Cards.Bench;

/// <summary>
/// The real keycustodyd (`dotnet keycustodyd.dll --config FILE`) with one PIV token per card, reached through the
/// rig's pcscd, and a self-signing key in slot 9a of each ("card-0", "card-1", ...: PIN never, touch never, so every
/// request costs the card one signature). Its state directory, audit log included, is on the work directory's disk.
/// </summary>
internal sealed class CardsDaemon : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private CardsDaemon(Process process, string socket, StreamWriter log)
    {
        _process = process;
        Socket = socket;
        _log = log;
    }

    public string Socket { get; }

    public int Pid => _process.Id;

    public static string KeyName(int card) => "card-" + card.ToString(CultureInfo.InvariantCulture);

    public static async Task<CardsDaemon> StartAsync(string daemonDll, string work, PrivatePcscd pcscd, int cards)
    {
        var state = Directory.CreateDirectory(Path.Combine(work, "state")).FullName;
        File.SetUnixFileMode(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var socket = Path.Combine(work, "keycustodyd.sock");
        var pin = SecretFile(work, "card.pin", "123456");
        var managementKey = SecretFile(work, "card.mgm", "010203040506070801020304050607080102030405060708");
        var tokens = new JsonArray();
        var keys = new JsonArray();
        for (var i = 0; i < cards; i++)
        {
            tokens.Add(new JsonObject
            {
                ["name"] = "yubikey-" + i.ToString(CultureInfo.InvariantCulture),
                ["kind"] = "piv",
                ["serial"] = CardRig.FirstSerial + (uint)i,
                ["pin"] = new JsonObject { ["file"] = pin },
                ["managementKey"] = new JsonObject { ["file"] = managementKey },
            });
            // A card without a button would wait for an operator: presence "none" (automation, as a bot's key).
            keys.Add(new JsonObject
            {
                ["name"] = KeyName(i), ["token"] = "yubikey-" + i.ToString(CultureInfo.InvariantCulture), ["keyId"] = "9a",
                ["role"] = "self_signing", ["owner"] = Devices.User, ["presence"] = "none",
            });
        }

        var config = new JsonObject
        {
            ["stateDirectory"] = state,
            ["listen"] = new JsonObject { ["unixSocket"] = socket, ["socketMode"] = "0600" },
            ["limits"] = new JsonObject { ["maxQueuePerToken"] = 64 },
            ["tokens"] = tokens,
            ["keys"] = keys,
            ["access"] = new JsonArray(new JsonObject
            {
                ["principal"] = "uid:" + GetEuid().ToString(CultureInfo.InvariantCulture),
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

        pcscd.AddTo(start);
        var process = Process.Start(start) ?? throw new InvalidOperationException("keycustodyd did not start");
        var log = new StreamWriter(Path.Combine(work, "keycustodyd.log")) { AutoFlush = false };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var daemon = new CardsDaemon(process, socket, log);
        try
        {
            await daemon.WaitUntilServingAsync(work);
            for (var i = 0; i < cards; i++)
            {
                await daemon.GenerateKeyAsync(KeyName(i));
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

    /// <summary>CPU time the daemon has used (user + system, /proc/PID/stat), in seconds.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / (double)Sysconf(2);
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

    /// <summary>Generates the key through the daemon (its PIV client, the management key from its file); retries while pcscd has not seen the card yet.</summary>
    private async Task GenerateKeyAsync(string key)
    {
        using var client = Client();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Key = key, PinPolicy = "never", TouchPolicy = "never", Overwrite = true });
                break;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }

        // The daemon is given no attestation root for these cards: an admin accepts each key (audited), as an operator
        // would; an unattested cross-signing key signs nothing otherwise.
        var listed = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == key);
        if (!listed.Provenance.Trusted)
        {
            await client.Admin.AcceptKeyAsync(new KeyDecisionRequest { Key = key, PublicKey = listed.PublicKey, Reason = "benchmark: no attestation root configured for the simulated cards" });
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

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sysconf")]
    private static extern long Sysconf(int name);
}
