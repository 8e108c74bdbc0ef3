using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// A pinned key its token no longer holds: a simulator card without stateFile is new at every start, as a reset or
/// replaced card is. The daemon used to let `keys generate` fill the empty slot without --overwrite and move the pin
/// (a new identity, silently), `keys list` said trusted, and --check-config only noted an empty slot.
/// </summary>
public sealed class PinnedKeyResetTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "sim", 40000011, demoKeys: false) },
            keys = new[] { Key("alice-ssk", "sim", "9c", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task A_pinned_key_missing_after_a_card_reset_is_reported_and_replaced_only_with_overwrite()
    {
        var made = Cli("keys", "generate", "--key", "alice-ssk");
        Assert.True(made.ExitCode == 0, made.Output);
        var pinned = PublicKeyIn(Cli("keys", "list").Output);

        // The card comes back blank (no stateFile): the pin stays, the slot is empty.
        await _d.StopAsync();
        await _d.StartAsync();

        var list = Cli("keys", "list");
        var line = Assert.Single(list.Output.Split('\n'), l => l.StartsWith("alice-ssk\t", StringComparison.Ordinal));
        Assert.Contains(pinned, line, StringComparison.Ordinal);
        Assert.Contains("NOT USABLE: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("\ttrusted", line, StringComparison.Ordinal);

        var refused = Cli("keys", "generate", "--key", "alice-ssk");
        Assert.True(refused.ExitCode == 3, refused.Output);
        Assert.Contains($"key 'alice-ssk' is pinned to public key {pinned}", refused.Output, StringComparison.Ordinal);
        Assert.Contains("changes the identity of 'alice-ssk'", refused.Output, StringComparison.Ordinal);
        Assert.Contains("--overwrite", refused.Output, StringComparison.Ordinal);
        Assert.Contains(pinned, Cli("keys", "list").Output, StringComparison.Ordinal);

        var check = _d.RunToEnd("--check-config", "--config", _d.ConfigFile);
        Assert.True(check.ExitCode == 2, check.Stdout + check.Stderr);
        Assert.Contains($"error: key alice-ssk: 9c on sim is empty, but alice-ssk is pinned as {pinned}: the card was reset or replaced", check.Stderr, StringComparison.Ordinal);

        var replaced = Cli("keys", "generate", "--key", "alice-ssk", "--overwrite");
        Assert.True(replaced.ExitCode == 0, replaced.Output);
        var now = PublicKeyIn(Cli("keys", "list").Output);
        Assert.NotEqual(pinned, now);
    }

    private (int ExitCode, string Output) Cli(params string[] args) => ChildProcess.Run("dotnet", [Binaries.Cli, "--socket", _d.Socket, .. args]);

    private static string PublicKeyIn(string list) =>
        list.Split('\n').Single(l => l.StartsWith("alice-ssk\t", StringComparison.Ordinal)).Split('\t')[3];
}
