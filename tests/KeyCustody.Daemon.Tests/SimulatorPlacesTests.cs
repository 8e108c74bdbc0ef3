using System.Diagnostics;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// A user without a home (HOME=/nonexistent, as nobody's; no XDG_RUNTIME_DIR) in a shared working directory such as
/// /tmp: the simulator's state, the CLI's simulator socket and hw-sim's root CA used to land relative to the working
/// directory (./.local/...), where anyone could have put them first. Each is refused, naming the option that chooses a place.
/// </summary>
public sealed class SimulatorPlacesTests : IDisposable
{
    private readonly string _cwd = Directory.CreateTempSubdirectory("keycustody-nohome-").FullName;

    public void Dispose() => Directory.Delete(_cwd, recursive: true);

    [Fact]
    public void The_simulator_without_a_home_is_refused_naming_state_dir()
    {
        var (program, leading) = Binaries.DaemonCommand;
        var (exit, output) = Homeless(program, [.. leading, "--simulator", "--check-config"]);
        Assert.True(exit == 2, output);
        Assert.Contains("HOME is /nonexistent, which does not exist", output, StringComparison.Ordinal);
        Assert.Contains("give --state-dir DIR", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_cwd, ".local")), "state was put under the working directory");
    }

    [Fact]
    public void The_CLI_without_a_home_does_not_take_a_socket_under_the_working_directory()
    {
        // What the old lookup found: ./.local/state/keycustody-simulator/keycustodyd.sock, planted by anyone.
        var planted = Directory.CreateDirectory(Path.Combine(_cwd, ".local", "state", "keycustody-simulator")).FullName;
        File.WriteAllText(Path.Combine(planted, "keycustodyd.sock"), string.Empty);
        var (exit, output) = Homeless("dotnet", Binaries.Cli, "status");
        Assert.True(exit == 5, output);
        Assert.DoesNotContain(".local/state", output, StringComparison.Ordinal);
        Assert.Contains("/run/keycustody/keycustodyd.sock", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Hwsim_without_a_home_is_refused_naming_root()
    {
        var (exit, output) = Homeless("dotnet", Binaries.HwSim, "root-cert");
        Assert.True(exit == 2, output);
        Assert.Contains("error: there is no private place for hw-sim's root CA: HOME is /nonexistent, which does not exist: give --root FILE", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_cwd, ".local")), "the root CA was put under the working directory");
    }

    private (int ExitCode, string Output) Homeless(string program, params string[] args) => ChildProcess.Run(program, args, (ProcessStartInfo start) =>
    {
        start.WorkingDirectory = _cwd;
        start.Environment["HOME"] = "/nonexistent";
        foreach (var variable in new[] { "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_DATA_HOME", "KEYCUSTODY_SOCKET" })
        {
            start.Environment.Remove(variable);
        }
    });
}
