using KeyCustody.Contract;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The start's "Key not usable yet" warnings describe the keys as the start leaves them: not the demo keys the simulator
/// bootstrap is about to generate (a first start used to warn three times that they were missing), but every key still
/// missing after it.
/// </summary>
public sealed class StartupKeyWarningTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task A_first_start_of_the_simulator_default_warns_about_no_key()
    {
        var state = Path.Combine(_d.Root, "fresh");
        _d.Socket = Path.Combine(state, DaemonSockets.SocketFileName);
        _d.Arguments = ["--simulator", "--state-dir", state];
        await _d.StartAsync();
        // Stopped, so the output is all there: the bootstrap ran (the demo keys were generated) and nothing warned before.
        await _d.StopAsync();

        Assert.Contains("Simulator: generated demo key demo-master", _d.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Key not usable yet", _d.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_still_missing_after_the_bootstrap_is_warned_about()
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "sim-demo", 41000001), Simulator(_d, "sim-blank", 41000002, demoKeys: false) },
            keys = new[] { Key("alice-msk", "sim-demo", "9c", "master"), Key("alice-ssk", "sim-blank", "9a", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
        await _d.StopAsync();

        Assert.Contains("Simulator: generated demo key alice-msk", _d.Output, StringComparison.Ordinal);
        Assert.Contains("Key not usable yet: alice-ssk: Token YubiKey 41000002 holds no Ed25519 key named 9a", _d.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Key not usable yet: alice-msk", _d.Output, StringComparison.Ordinal);
    }
}
