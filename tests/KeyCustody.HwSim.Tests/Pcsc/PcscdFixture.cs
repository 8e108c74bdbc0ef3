using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Starts a private pcscd for the test run: its own mount namespace (`unshare -m`) with a per-run directory
/// bind-mounted on /run/pcscd, and its own vpcd ports (CHANNELID), so it never meets a system pcscd or another
/// engineer's test instance. The host-side socket path is handed to clients with PCSCLITE_CSOCK_NAME. Needs root.
/// One vpcd reader with two slots: "Yubico YubiKey OTP+FIDO+CCID 00 00" on port P and "... 00 01" on P+1
/// (a second vpcd reader in the same pcscd does not work with Debian's vpcd: both get the same name and neither
/// sees its card).
/// </summary>
public sealed class PcscdFixture : IDisposable
{
    public const string ReaderPrefix = "Yubico YubiKey OTP+FIDO+CCID";
    private const string Driver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

    private Process? _pcscd;

    public PcscdFixture()
    {
        foreach (var required in new[] { "/usr/sbin/pcscd", Driver, "/usr/bin/unshare", "/usr/bin/yubico-piv-tool" })
        {
            if (!File.Exists(required))
            {
                throw new InvalidOperationException($"{required} is missing: run scripts/ensure-deps.sh (pcscd, vsmartcard-vpcd, yubico-piv-tool)");
            }
        }

        Directory = System.IO.Directory.CreateTempSubdirectory("hwsim-pcscd-").FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "run"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "conf"));
        BasePort = FindFreePorts(2);
        File.WriteAllText(Path.Combine(Directory, "conf", "vpcd"),
            $"FRIENDLYNAME \"{ReaderPrefix}\"\nDEVICENAME /dev/null:0x{BasePort:X}\nLIBPATH {Driver}\nCHANNELID 0x{BasePort:X}\n");

        SocketPath = Path.Combine(Directory, "run", "pcscd.comm");
        Assert.Equal(0, NativePcsc.SetEnv(Encoding.ASCII.GetBytes("PCSCLITE_CSOCK_NAME\0"), Encoding.ASCII.GetBytes(SocketPath + "\0"), 1));
        Start();
    }

    public string Directory { get; }
    public int BasePort { get; }
    public string SocketPath { get; }
    public string LogPath => Path.Combine(Directory, "pcscd.log");

    public static string ReaderName(int slot) => $"{ReaderPrefix} 00 {slot:X2}";

    public IPEndPoint Endpoint(int slot) => new(IPAddress.Loopback, BasePort + slot);

    /// <summary>Stops and starts pcscd again (the vpcd transport must reconnect by itself).</summary>
    public void Restart()
    {
        Stop();
        Start();
    }

    /// <summary>Environment for child processes (yubico-piv-tool) so they reach this pcscd.</summary>
    public void Configure(ProcessStartInfo start) => start.Environment["PCSCLITE_CSOCK_NAME"] = SocketPath;

    public void Dispose()
    {
        Stop();
        if (Environment.GetEnvironmentVariable("HWSIM_KEEP_PCSCD_LOG") is not null)
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A stale socket may linger briefly; the temp directory is harmless.
        }
    }

    private void Start()
    {
        System.IO.Directory.CreateDirectory("/run/pcscd");
        File.Delete(SocketPath);
        File.Delete(LogPath);
        var script = $"mount --bind '{Directory}/run' /run/pcscd && exec /usr/sbin/pcscd --foreground --debug --apdu -c '{Directory}/conf' >> '{LogPath}' 2>&1";
        var start = new ProcessStartInfo("/usr/bin/unshare") { UseShellExecute = false };
        foreach (var argument in new[] { "--mount", "--propagation", "private", "/bin/sh", "-c", script })
        {
            start.ArgumentList.Add(argument);
        }

        _pcscd = Process.Start(start)!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!File.Exists(SocketPath) || !PortsListening())
        {
            if (_pcscd.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException(
                    $"pcscd did not start (exit {(_pcscd.HasExited ? _pcscd.ExitCode : -1)}); log {LogPath}:\n" + SafeRead(LogPath));
            }

            Thread.Sleep(50);
        }
    }

    private void Stop()
    {
        if (_pcscd is { HasExited: false })
        {
            _pcscd.Kill();
            _pcscd.WaitForExit(10_000);
        }

        _pcscd?.Dispose();
        _pcscd = null;
    }

    /// <summary>pcscd logs "daemon ready" once every reader (vpcd port) is set up; connecting to probe would insert a card.</summary>
    private bool PortsListening() => SafeRead(LogPath).Contains("daemon ready", StringComparison.Ordinal);

    private static int FindFreePorts(int count)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int start = Random.Shared.Next(20_000, 60_000) & ~1;
            var listeners = new List<TcpListener>();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var listener = new TcpListener(IPAddress.Any, start + i);
                    listener.Start();
                    listeners.Add(listener);
                }

                return start;
            }
            catch (SocketException)
            {
                // Taken: try another range.
            }
            finally
            {
                listeners.ForEach(l => l.Stop());
            }
        }

        throw new InvalidOperationException("no free port range for vpcd");
    }

    private static string SafeRead(string path) => File.Exists(path) ? File.ReadAllText(path) : "(no log)";
}

[CollectionDefinition(Name)]
public sealed class PcscdCollection : ICollectionFixture<PcscdFixture>
{
    public const string Name = "pcscd";
}
