using System.Diagnostics;
using System.Text;
using System.Text.Json;
using KeyCustody.Client;
using KeyCustody.Tests.Shared;
using KeyCustody.Protos.V1;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// A real keycustodyd process for one test: its own state directory, configuration file (0600) and
/// Unix socket, started with `dotnet keycustodyd.dll --config`, stopped with SIGTERM or killed with SIGKILL.
/// </summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    // Daemons a failed test set-up never disposed (xunit does not dispose after InitializeAsync throws) are killed
    // when the test process ends, so no run leaves daemons behind.
    private static readonly List<Process> Running = [];

    private readonly StringBuilder _output = new();
    private Process? _process;

    static DaemonProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Running)
            {
                foreach (var p in Running)
                {
                    try
                    {
                        if (!p.HasExited)
                        {
                            p.Kill();
                        }
                    }
                    catch (InvalidOperationException)
                    {
                        // Disposed or never started: nothing to kill.
                    }
                }
            }
        };
    }

    private DaemonProcess(string root)
    {
        Root = root;
        StateDirectory = Path.Combine(root, "state");
        SocketDirectory = Path.Combine(root, "sock");
        Socket = Path.Combine(SocketDirectory, "keycustodyd.sock");
        ConfigFile = Path.Combine(root, "keycustodyd.json");
        Directory.CreateDirectory(StateDirectory);
        File.SetUnixFileMode(StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(SocketDirectory);
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(SocketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    public string Root { get; }

    public string StateDirectory { get; }

    public string SocketDirectory { get; }

    /// <summary>Where the daemon is expected to listen (set it for runs whose arguments put the socket elsewhere).</summary>
    public string Socket { get; set; }

    public string ConfigFile { get; }

    public string AuditLog => Path.Combine(StateDirectory, "audit.jsonl");

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Variables of this test process the daemon must not inherit.</summary>
    public HashSet<string> Unset { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Turns the daemon's start into another program's that runs it (systemd-socket-activate for socket activation):
    /// given the start as planned, returns the one to run. The process started must become the daemon (exec).
    /// </summary>
    public Func<ProcessStartInfo, ProcessStartInfo>? Launcher { get; set; }

    /// <summary>Runs once when the socket first exists, before the first connection (a launcher's socket is made ready here).</summary>
    public Action? BeforeFirstConnection { get; set; }

    /// <summary>The daemon's process id once started.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");

    /// <summary>The daemon's arguments; <c>--config ConfigFile</c> when null.</summary>
    public IReadOnlyList<string>? Arguments { get; set; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>A new test directory; write the configuration with <see cref="Configure"/> and then <see cref="StartAsync"/>.</summary>
    public static DaemonProcess Create() => new(Directory.CreateTempSubdirectory("keycustodyd-test-").FullName);

    /// <summary>Writes the configuration; <c>stateDirectory</c> and <c>listen.unixSocket</c> are filled in.</summary>
    public void Configure(object config)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(config, Json))!.AsObject();
        node["stateDirectory"] = StateDirectory;
        var listen = node["listen"]?.AsObject() ?? [];
        listen.Remove("unixSocket");
        listen["unixSocket"] = Socket;
        node.Remove("listen");
        node["listen"] = listen;
        File.WriteAllText(ConfigFile, node.ToJsonString());
        File.SetUnixFileMode(ConfigFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Starts the daemon and waits until it answers on its socket.</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var start = Binaries.DaemonStart(Arguments ?? ["--config", ConfigFile]);

        foreach (var k in Unset)
        {
            start.Environment.Remove(k);
        }

        foreach (var (k, v) in Environment)
        {
            start.Environment[k] = v;
        }

        var process = Process.Start(Launcher?.Invoke(start) ?? start)!;
        _process = process;
        lock (Running)
        {
            Running.Add(process);
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // A backstop: the wait ends when the daemon answers or exits. Generous, since on a loaded machine a start (JIT,
        // the audit chain, every token) can take many times its idle duration.
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(180));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"keycustodyd exited with {process.ExitCode}:\n{Output}");
            }

            if (File.Exists(Socket))
            {
                BeforeFirstConnection?.Invoke();
                BeforeFirstConnection = null;
                try
                {
                    using var client = Client();
                    await client.Custody.ListKeysAsync(new ListKeysRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                    return;
                }
                catch (global::Grpc.Core.RpcException)
                {
                    // Not accepting calls yet.
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"keycustodyd did not answer on {Socket}:\n{Output}");
    }

    /// <summary>Starts and expects the daemon to refuse to start; returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunExpectingFailureAsync()
    {
        try
        {
            await StartAsync();
        }
        catch (InvalidOperationException)
        {
            // HasExited can be true before the output readers reached the end: wait for them too.
            await _process!.WaitForExitAsync();
            return (_process.ExitCode, Output);
        }

        throw new InvalidOperationException("keycustodyd started but was expected to refuse");
    }

    /// <summary>Runs keycustodyd to its end with these arguments (--help, --check-config...) and this test's environment.</summary>
    public (int ExitCode, string Stdout, string Stderr) RunToEnd(params string[] arguments)
    {
        var start = Binaries.DaemonStart(arguments);

        foreach (var k in Unset)
        {
            start.Environment.Remove(k);
        }

        foreach (var (k, v) in Environment)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        // Both read in the background: a daemon that starts instead of ending must meet the backstop, not block a read.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill();
            process.WaitForExit();
            throw new TimeoutException($"keycustodyd {string.Join(' ', arguments)} did not end:\n{stdout.Result}{stderr.Result}");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public KeyCustodyClient Client() => KeyCustodyClient.ConnectUnix(Socket);

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>SIGTERM, as systemd stops it, and waits for the exit; the directory stays for another start.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _ = Posix.Kill(_process.Id, 15);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>
    /// SIGKILL, without waiting for the exit (a thread blocked on a frozen disk holds the process until the disk thaws; it
    /// then dies without running another instruction of ours); <see cref="WaitForExitAsync"/> waits.
    /// </summary>
    public void KillNow()
    {
        if (_process is { HasExited: false })
        {
            _ = Posix.Kill(_process.Id, 9);
        }
    }

    /// <summary>Waits until the daemon's output has this text (a backstop deadline for a loaded machine).</summary>
    public async Task WaitForOutputAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || _process is { HasExited: true })
            {
                throw new InvalidOperationException($"keycustodyd did not print '{text}':\n{Output}");
            }

            await Task.Delay(20);
        }
    }

    public Task WaitForExitAsync() => _process is null ? Task.CompletedTask : _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));

    /// <summary>SIGKILL: no chance to write anything more.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            // SIGTERM for a clean stop, then SIGKILL if it hangs.
            _ = Posix.Kill(_process.Id, 15);
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
            }
        }

        if (_process is not null)
        {
            lock (Running)
            {
                Running.Remove(_process);
            }

            _process.Dispose();
        }

        await Task.Yield();
        if (System.Environment.GetEnvironmentVariable("KEYCUSTODY_KEEP_TEST_DIRS") is null)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

internal static partial class Posix
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Kill(int pid, int signal);
}
