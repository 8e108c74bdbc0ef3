using System.Diagnostics;
using System.Text.RegularExpressions;
using KeyCustody.Contract;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// <c>keycustodyd --simulator</c> as a newcomer meets it: with no flags, the CLI finds its socket and
/// <c>keycustody-hwsim root-cert</c> prints the root its cards attest with, so the README's provisioning walk-through
/// works as written; and a setting of its defaults is changed in place from the command line. The user's directories
/// (XDG_RUNTIME_DIR, HOME) are the test's own.
/// </summary>
public sealed class SimulatorDefaultsTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    private string Runtime => Path.Combine(_d.Root, "run-user");

    private string Home => Path.Combine(_d.Root, "home");

    public Task InitializeAsync()
    {
        foreach (var dir in new[] { Runtime, Home })
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _d.Environment["XDG_RUNTIME_DIR"] = Runtime;
        _d.Environment["HOME"] = Home;
        foreach (var variable in new[] { "XDG_DATA_HOME", "XDG_STATE_HOME", "KEYCUSTODY_SOCKET" })
        {
            _d.Unset.Add(variable);
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task The_CLI_finds_keycustodyd_simulator_without_flags_and_the_daemon_says_so_first()
    {
        Assert.False(File.Exists(DaemonSockets.System), $"a system keycustodyd runs on this machine ({DaemonSockets.System}); keycustody would rightly prefer it");
        await StartDefaultSimulatorAsync();
        var first = _d.Output.Split('\n')[0];
        Assert.Contains($"The socket is unix:{_d.Socket}: keycustody finds it without --socket", first, StringComparison.Ordinal);

        var (exit, output) = Run(Binaries.Cli, "status");
        Assert.True(exit == 0, output);
        Assert.Contains("sim-master\tsimulator\tpresent\tserial 10000001", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The CLI trusts the per-user simulator socket only when the daemon behind it runs as the same user: someone else's
    /// daemon there (a shared HOME, a directory left open) could otherwise hand out its own keys as the user's.
    /// </summary>
    [Theory]
    [InlineData("keys", "list")]
    // Admin decisions and the migration (which hands the user's existing private keys to the daemon) too: they once
    // connected without this check.
    [InlineData("keys", "accept", "sim-master", "--public-key", "AAAA", "--reason", "test")]
    [InlineData("keys", "reject", "sim-master", "--public-key", "AAAA", "--reason", "test")]
    public async Task The_CLI_refuses_a_simulator_socket_served_by_another_user(params string[] command)
    {
        await StartDefaultSimulatorAsync();
        const UnixFileMode Passable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(Runtime, Passable);
        File.SetUnixFileMode(Path.GetDirectoryName(_d.Socket)!, Passable);
        File.SetUnixFileMode(_d.Socket, (UnixFileMode)0b110_110_110);

        var (exit, output) = Harness.RunCliAs(65534, 65534, new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = Runtime }, command);
        Assert.Equal(5, exit);
        Assert.Contains($"error: {_d.Socket} is served by uid {Posix.Uid()}, not by you (uid 65534): it is not your keycustodyd --simulator", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The README's walk-through: keycustodyd --simulator --no-demo-keys, keycustody-hwsim root-cert, keycustody provision;
    /// the command run is the one the daemon's start names for its blank cards (once a warning that said "generate one").
    /// </summary>
    [Fact]
    public async Task Provisioning_with_the_root_hwsim_prints_by_default_passes_attestation()
    {
        await StartDefaultSimulatorAsync();
        var named = Regex.Match(_d.Output, @"INF Not generated yet: demo-master \(9c on sim-master\), demo-ssk \(9a on sim-daily\), demo-usk \(9d on sim-daily\) of @demo:localhost, as on blank tokens before provisioning\. Next: keycustody (provision --user @demo:localhost --attestation-root ROOT\.pem) \(");
        Assert.True(named.Success, _d.Output);
        Assert.DoesNotContain("Key not usable yet", _d.Output, StringComparison.Ordinal);
        var (exit, pem) = Run(Binaries.HwSim, "root-cert");
        Assert.True(exit == 0, pem);
        var root = Path.Combine(_d.Root, "root.pem");
        File.WriteAllText(root, pem);

        string output;
        (exit, output) = Run(Binaries.Cli, [.. named.Groups[1].Value.Replace("ROOT.pem", root, StringComparison.Ordinal).Split(' '), "--out", Path.Combine(_d.Root, "provisioned")]);
        Assert.True(exit == 0, output);
        Assert.True(File.Exists(Path.Combine(_d.Root, "provisioned", "device-signing-upload.json")), output);
    }

    /// <summary>--keys:1:presence=operator changes the second demo key; it used to append a fourth, half-empty key.</summary>
    [Fact]
    public async Task A_list_entry_of_the_defaults_is_changed_in_place_from_the_command_line()
    {
        var state = Path.Combine(_d.Root, "sim");
        _d.Socket = Path.Combine(state, DaemonSockets.SocketFileName);
        _d.Arguments = ["--simulator", "--no-demo-keys", "--state-dir", state, "--keys:2:presence=none", "--keys:1:presence=operator"];
        await _d.StartAsync();
        using var client = _d.Client();
        var keys = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys;
        Assert.Equal(["demo-master", "demo-ssk", "demo-usk"], keys.Select(k => k.Name));
        Assert.Equal("none", keys.Single(k => k.Name == "demo-usk").Presence);
        Assert.Equal("operator", keys.Single(k => k.Name == "demo-ssk").Presence);
    }

    private async Task StartDefaultSimulatorAsync()
    {
        _d.Socket = Path.Combine(Runtime, "keycustody-simulator", DaemonSockets.SocketFileName);
        _d.Arguments = ["--simulator", "--no-demo-keys"];
        await _d.StartAsync();
    }

    /// <summary>A product program as the same user in the same session: the test's XDG_RUNTIME_DIR and HOME, no KEYCUSTODY_SOCKET.</summary>
    private (int ExitCode, string Output) Run(string dll, params string[] args) => ChildProcess.Run("dotnet", [dll, .. args], (ProcessStartInfo start) =>
    {
        foreach (var variable in _d.Unset)
        {
            start.Environment.Remove(variable);
        }

        foreach (var (k, v) in _d.Environment)
        {
            start.Environment[k] = v;
        }
    });
}
