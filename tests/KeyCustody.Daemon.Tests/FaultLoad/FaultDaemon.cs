using System.Diagnostics;
using KeyCustody.Client;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>
/// The keycustodyd process of a fault run: started again after every SIGKILL on the same configuration and state,
/// its output appended to one file (a long run writes too much to keep in memory), its pid known for /proc.
/// </summary>
internal sealed class FaultDaemon : IDisposable
{
    private readonly Lock _outputLock = new();
    private readonly StreamWriter _output;
    private readonly Dictionary<string, string> _environment;
    private Process? _process;
    private bool _closed;

    public FaultDaemon(string configFile, string socket, string outputFile, Dictionary<string, string> environment)
    {
        ConfigFile = configFile;
        Socket = socket;
        OutputFile = outputFile;
        _environment = environment;
        _output = new StreamWriter(outputFile, append: true) { AutoFlush = true };
    }

    public string ConfigFile { get; }

    public string Socket { get; }

    public string OutputFile { get; }

    /// <summary>The running daemon's pid, or null between a kill and the next start.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>How many times the daemon was started.</summary>
    public int Starts { get; private set; }

    public KeyCustodyClient Client() => KeyCustodyClient.ConnectUnix(Socket);

    /// <summary>Starts keycustodyd and waits until it answers ListKeys on its socket (generous: the machine may be loaded).</summary>
    public async Task StartAsync()
    {
        var start = Binaries.DaemonStart("--config", ConfigFile);
        // The run is configured by its file alone: no inherited KEYCUSTODYD_ setting, nor a KEYCUSTODY_ one in the old spelling.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("KEYCUSTODY", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (k, v) in _environment)
        {
            start.Environment[k] = v;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("keycustodyd did not start");
        _process = process;
        Starts++;
        Write($"--- keycustodyd start {Starts}, pid {process.Id}");
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"keycustodyd exited with {process.ExitCode}; its output is in {OutputFile}");
            }

            if (File.Exists(Socket))
            {
                try
                {
                    using var client = Client();
                    await client.Custody.ListKeysAsync(new ListKeysRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
                    return;
                }
                catch (global::Grpc.Core.RpcException)
                {
                    // Not accepting calls yet.
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"keycustodyd did not answer on {Socket}; its output is in {OutputFile}");
    }

    /// <summary>SIGKILL: the daemon gets no chance to write anything more.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(30_000);
            Write($"--- keycustodyd pid {p.Id} killed (SIGKILL)");
        }
    }

    /// <summary>SIGTERM for a clean stop; SIGKILL if it hangs.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false } p)
        {
            _ = FaultNative.Kill(p.Id, 15);
            if (!p.WaitForExit(30_000))
            {
                p.Kill();
                p.WaitForExit(10_000);
            }

            // Let the asynchronous readers drain the last lines.
            p.WaitForExit();
            Write($"--- keycustodyd pid {p.Id} stopped, exit code {p.ExitCode}");
        }
    }

    public void Dispose()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(10_000);
        }

        _process?.Dispose();
        lock (_outputLock)
        {
            _closed = true;
            _output.Dispose();
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            if (!_closed)
            {
                _output.WriteLine(line);
            }
        }
    }
}

internal static partial class FaultNative
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Kill(int pid, int signal);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Uid();
}
