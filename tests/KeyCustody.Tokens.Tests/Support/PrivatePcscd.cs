using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>
/// A pcscd of this test assembly's own: started in a private mount namespace whose /run/pcscd is a per-run
/// directory, with a vpcd reader on ports nobody else uses, so it never meets the hw-sim tests' pcscd (which
/// runs in parallel) or a system one. Our libpcsclite is pointed at its socket with PCSCLITE_CSOCK_NAME, set
/// in the native environment before the first PC/SC call of this process. Needs root (unshare, mount).
/// </summary>
public sealed partial class PrivatePcscd : IDisposable
{
    public const string ReaderPrefix = "Yubico YubiKey OTP+FIDO+CCID";
    private const string Pcscd = "/usr/sbin/pcscd";
    private const string VpcdDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

    private readonly Process _process;

    public PrivatePcscd()
    {
        foreach (var file in new[] { Pcscd, VpcdDriver, "/usr/bin/unshare" })
        {
            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"{file} is missing: run scripts/ensure-deps.sh (pcscd, vsmartcard-vpcd)");
            }
        }

        Root = Directory.CreateTempSubdirectory("tokens-pcscd-").FullName;
        var run = Directory.CreateDirectory(Path.Combine(Root, "run")).FullName;
        var conf = Directory.CreateDirectory(Path.Combine(Root, "conf")).FullName;
        Port = FreePortPair();
        File.WriteAllText(
            Path.Combine(conf, "vpcd"),
            $"FRIENDLYNAME \"{ReaderPrefix}\"\nDEVICENAME /dev/null:0x{Port:X}\nLIBPATH {VpcdDriver}\nCHANNELID 0x{Port:X}\n");
        SocketPath = Path.Combine(run, "pcscd.comm");
        if (SetEnv("PCSCLITE_CSOCK_NAME", SocketPath, 1) != 0)
        {
            throw new InvalidOperationException("setenv(PCSCLITE_CSOCK_NAME) failed");
        }

        Directory.CreateDirectory("/run/pcscd");
        var start = new ProcessStartInfo("/usr/bin/unshare") { UseShellExecute = false };
        var script = $"mount --bind '{run}' /run/pcscd && exec {Pcscd} -f -d -a -c '{conf}' >> '{LogPath}' 2>&1";
        foreach (var argument in new[] { "--mount", "--propagation", "private", "/bin/sh", "-c", script })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start unshare/pcscd");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!File.Exists(SocketPath) || !Log.Contains("daemon ready", StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"pcscd did not start; its log ({LogPath}):\n{Log}");
            }

            Thread.Sleep(50);
        }
    }

    public string Root { get; }

    /// <summary>vpcd slot 0 listens on Port, slot 1 on Port + 1.</summary>
    public int Port { get; }

    public string SocketPath { get; }

    public string LogPath => Path.Combine(Root, "pcscd.log");

    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    public IPEndPoint Slot(int slot) => new(IPAddress.Loopback, Port + slot);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A socket may linger for a moment; it is in a temporary directory.
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    private static int FreePortPair()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int port = Random.Shared.Next(20_000, 60_000) & ~1;
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
