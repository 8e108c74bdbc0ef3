using System.Diagnostics;
using System.Text;
using KeyCustody.Client;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary>
/// A real <c>keycustodyd --simulator</c> for a test class (two simulated YubiKeys with automatic touch, demo keys
/// for @demo:localhost: demo-master, demo-ssk, demo-usk), in its own state directory; stopped at the end.
/// </summary>
public sealed class SimulatorDaemon : IAsyncLifetime
{
    public const string User = "@demo:localhost";

    private readonly StringBuilder _output = new();
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("keycustodyd-publish-");
    private Process? _process;

    public string StateDirectory => Path.Combine(_root.FullName, "state");

    public string Socket => Path.Combine(StateDirectory, "keycustodyd.sock");

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

    /// <summary>The public keys of the demo keys by name.</summary>
    public Dictionary<string, string> PublicKeys { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        var start = Binaries.DaemonStart("--simulator", "--state-dir", StateDirectory);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"keycustodyd exited with {_process.ExitCode}:\n{Output}");
            }

            if (File.Exists(Socket))
            {
                try
                {
                    using var client = KeyCustodyClient.ConnectUnix(Socket);
                    var keys = await client.Custody.ListKeysAsync(new ListKeysRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
                    if (keys.Keys.Count == 3 && keys.Keys.All(k => k.PublicKey.Length > 0))
                    {
                        foreach (var k in keys.Keys)
                        {
                            PublicKeys[k.Name] = k.PublicKey;
                        }

                        return;
                    }
                }
                catch (Grpc.Core.RpcException)
                {
                    // Not serving yet.
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"keycustodyd --simulator did not serve its demo keys on {Socket}:\n{Output}");
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        _root.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
