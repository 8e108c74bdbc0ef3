using System.Diagnostics;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// The simulator never runs by accident: without a configuration the daemon refuses to start (it does not fall back
/// to the demo); a configuration without a token of kind "simulator" has none and says nothing of one; a simulator
/// token is there only when configured, is logged as a warning at start, and reports itself as a simulator and
/// not hardware-backed to every client.
/// </summary>
public sealed class SimulatorGuardTests
{
    [Fact]
    public async Task Without_a_configuration_the_daemon_refuses_to_start_instead_of_running_the_demo()
    {
        using var p = Process.Start(Binaries.DaemonStart())!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, p.ExitCode);
        Assert.Contains("give --config FILE, or --simulator", await output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configuration_without_a_simulator_token_has_none_and_says_nothing_of_one()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();
        using var client = d.Client();
        var tokens = await client.Admin.TokenStatusAsync(new TokenStatusRequest());
        Assert.All(tokens.Tokens, t => Assert.NotEqual("simulator", t.Kind));
        Assert.DoesNotContain("SIMULATOR", d.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_simulator_token_is_logged_as_a_warning_and_reported_as_not_hardware_to_clients()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "sim", 41000001, demoKeys: false) },
            keys = new[] { Key("ssk", "sim", "9a", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();

        var warning = d.Output.Split('\n').FirstOrDefault(l => l.Contains("SIMULATOR", StringComparison.Ordinal));
        Assert.NotNull(warning);
        Assert.Contains("WRN", warning, StringComparison.Ordinal);
        Assert.Contains("NOT hardware-protected", warning, StringComparison.Ordinal);

        using var client = d.Client();
        var token = Assert.Single((await client.Admin.TokenStatusAsync(new TokenStatusRequest())).Tokens);
        Assert.Equal("simulator", token.Kind);
        Assert.False(token.HardwareBacked);
        await Generate(client, "sim", "9a");
        var key = Assert.Single((await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys);
        Assert.Equal("simulator", key.TokenKind);
        Assert.False(key.HardwareBacked);
    }
}
