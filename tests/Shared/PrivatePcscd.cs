using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KeyCustody.Tests.Shared;

/// <summary>
/// A pcscd of one test run's own: started in a private mount namespace (`unshare --mount`) whose /run/pcscd is a
/// per-run directory, with a vpcd reader on a random free port pair (CHANNELID), so it never meets a system pcscd
/// or another test assembly's instance running in parallel. Needs root (unshare, mount).
/// <para>
/// One vpcd reader with two slots: "Yubico YubiKey OTP+FIDO+CCID 00 00" on <see cref="BasePort"/> and "... 00 01"
/// on BasePort + 1. More readers (for more cards) each load their own copy of the vpcd driver: the driver keeps its
/// connections in one static array indexed by slot only, so two readers served by one loaded copy collide (both get
/// the same name and neither sees its card). Reader k is named "Yubico YubiKey OTP+FIDO+CCID k" (k > 0).
/// </para>
/// <para>
/// Clients find it through PCSCLITE_CSOCK_NAME: a child process gets it with <see cref="AddTo"/>; code that calls
/// libpcsclite in this process needs <see cref="ExportToThisProcess"/> before its first PC/SC call, because
/// libpcsclite reads the variable once, through the native environment.
/// </para>
/// Use it through an xunit collection fixture; the CollectionDefinition must live in each test assembly.
/// </summary>
internal sealed class PrivatePcscd : IDisposable
{
    public const string ReaderPrefix = "Yubico YubiKey OTP+FIDO+CCID";

    /// <summary>The variable libpcsclite reads for the pcscd socket path.</summary>
    public const string SocketVariable = "PCSCLITE_CSOCK_NAME";

    private const string Pcscd = "/usr/sbin/pcscd";
    private const string VpcdDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

    private readonly List<int> _basePorts = [];
    private Process? _process;

    /// <param name="directoryPrefix">Prefix of the temporary directory (run/, conf/, pcscd.log), to tell runs apart.</param>
    /// <param name="readers">vpcd readers of two slots each (pcscd takes at most 16 readers in all).</param>
    public PrivatePcscd(string directoryPrefix = "private-pcscd-", int readers = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(readers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(readers, 8);
        foreach (var file in new[] { Pcscd, VpcdDriver, "/usr/bin/unshare" })
        {
            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"{file} is missing: run scripts/ensure-deps.sh (pcscd, vsmartcard-vpcd)");
            }
        }

        Root = Directory.CreateTempSubdirectory(directoryPrefix).FullName;
        Directory.CreateDirectory(Path.Combine(Root, "run"));
        var conf = Directory.CreateDirectory(Path.Combine(Root, "conf")).FullName;
        for (var reader = 0; reader < readers; reader++)
        {
            int port;
            do
            {
                port = FreePortPair();
            }
            while (_basePorts.Contains(port));

            _basePorts.Add(port);
            var driver = VpcdDriver;
            if (reader > 0)
            {
                driver = Path.Combine(Directory.CreateDirectory(Path.Combine(Root, "drivers")).FullName, $"libifdvpcd-{reader}.so");
                File.Copy(VpcdDriver, driver);
            }

            File.WriteAllText(
                Path.Combine(conf, reader == 0 ? "vpcd" : $"vpcd-{reader}"),
                $"FRIENDLYNAME \"{FriendlyName(reader)}\"\nDEVICENAME /dev/null:0x{port:X}\nLIBPATH {driver}\nCHANNELID 0x{port:X}\n");
        }

        SocketPath = Path.Combine(Root, "run", "pcscd.comm");
        try
        {
            Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The temporary directory of this run.</summary>
    public string Root { get; }

    /// <summary>vpcd slot 0 of the first reader listens on BasePort, slot 1 on BasePort + 1.</summary>
    public int BasePort => _basePorts[0];

    /// <summary>The vpcd readers, two slots each.</summary>
    public int Readers => _basePorts.Count;

    /// <summary>The pcscd socket as seen from outside the mount namespace.</summary>
    public string SocketPath { get; }

    /// <summary>pcscd's own output (--debug --apdu): every APDU it passed on is in it.</summary>
    public string LogPath => Path.Combine(Root, "pcscd.log");

    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log)";

    public static string ReaderName(int slot) => ReaderName(0, slot);

    public static string ReaderName(int reader, int slot) => $"{FriendlyName(reader)} 00 {slot:X2}";

    /// <summary>Where a vpcd card (the simulator) connects for <paramref name="slot"/> (0 or 1) of the first reader.</summary>
    public IPEndPoint Endpoint(int slot) => Endpoint(0, slot);

    public IPEndPoint Endpoint(int reader, int slot) => new(IPAddress.Loopback, _basePorts[reader] + slot);

    /// <summary>Points a child process (yubico-piv-tool, keycustodyd, keycustody-hwsim) at this pcscd.</summary>
    public void AddTo(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.Environment[SocketVariable] = SocketPath;
    }

    /// <summary>
    /// Points this process's libpcsclite at this pcscd, with libc setenv (Environment.SetEnvironmentVariable does not
    /// reach native getenv on Unix). Call it before the first PC/SC call of the process: libpcsclite reads it once.
    /// </summary>
    public void ExportToThisProcess()
    {
        NativeEnvironment.Set(SocketVariable, SocketPath);
    }

    /// <summary>Stops and starts pcscd again, on the same socket and ports (vpcd cards must reconnect by themselves).</summary>
    public void Restart()
    {
        Stop();
        Start();
    }

    public void Dispose()
    {
        Stop();
        if (Environment.GetEnvironmentVariable("KEYCUSTODY_KEEP_TEST_DIRS") is not null || Environment.GetEnvironmentVariable("HWSIM_KEEP_PCSCD_LOG") is not null)
        {
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A socket may linger for a moment; it is in a temporary directory.
        }
    }

    private void Start()
    {
        Directory.CreateDirectory("/run/pcscd");
        File.Delete(SocketPath);
        File.Delete(LogPath);
        var script = $"mount --bind '{Root}/run' /run/pcscd && exec {Pcscd} --foreground --debug --apdu -c '{Root}/conf' >> '{LogPath}' 2>&1";
        var start = new ProcessStartInfo("/usr/bin/unshare") { UseShellExecute = false };
        foreach (var argument in new[] { "--mount", "--propagation", "private", "/bin/sh", "-c", script })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start unshare/pcscd");
        _process = process;

        // pcscd logs "daemon ready" once every reader (vpcd port) is set up; connecting to probe would insert a card.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!File.Exists(SocketPath) || !Log.Contains("daemon ready", StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"pcscd did not start (exit {(process.HasExited ? process.ExitCode : -1)}); its log ({LogPath}):\n{Log}");
            }

            Thread.Sleep(50);
        }
    }

    private void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
    }

    private static string FriendlyName(int reader) => reader == 0 ? ReaderPrefix : $"{ReaderPrefix} {reader}";

    private static int FreePortPair()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(20_000, 60_000) & ~1;
            var listeners = new List<TcpListener>();
            try
            {
                listeners.Add(new TcpListener(IPAddress.Any, port));
                listeners.Add(new TcpListener(IPAddress.Any, port + 1));
                listeners.ForEach(listener => listener.Start());
                return port;
            }
            catch (SocketException)
            {
                // In use: try another pair.
            }
            finally
            {
                listeners.ForEach(listener => listener.Stop());
            }
        }

        throw new InvalidOperationException("no free port pair for vpcd");
    }

}
