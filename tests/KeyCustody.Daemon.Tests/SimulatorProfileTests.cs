using KeyCustody.Daemon.Hosting;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>A simulator token's card profile (hw-sim's yubikey-5.7, yubikey-5.4.3, nitrokey-3): checked at start, used for the card.</summary>
public sealed class SimulatorProfileTests
{
    [Fact]
    public async Task An_unknown_profile_a_nitrokey_and_demo_keys_on_a_5_4_3_are_refused_at_start_each_named()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new object[]
            {
                new { name = "a", kind = "simulator", serial = 4_400_001, profile = "yubikey-4" },
                new { name = "b", kind = "simulator", serial = 4_400_002, profile = "nitrokey-3" },
                new { name = "c", kind = "simulator", serial = 4_400_003, profile = "yubikey-5.4.3", demoKeys = true },
                new { name = "d", kind = "software", directory = d.Root, profile = "yubikey-5.7" },
            },
        });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("tokens[0].profile: unknown card profile 'yubikey-4' (one of yubikey-5.7, yubikey-5.4.3, nitrokey-3)", output, StringComparison.Ordinal);
        Assert.Contains("tokens[1].profile: nitrokey-3 has no PIV applet, and a simulator token signs through PIV", output, StringComparison.Ordinal);
        Assert.Contains("tokens[2].profile: demoKeys are Ed25519 keys in PIV, which yubikey-5.4.3 does not have", output, StringComparison.Ordinal);
        Assert.Contains("tokens[3].profile: only simulator tokens have a profile", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_5_4_3_profile_makes_the_simulated_card_a_5_4_3()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator543(d) },
        });
        await d.StartAsync();
        var control = Path.Combine(d.StateDirectory, SimulatorControl.FileName);
        var (exit, output) = ChildProcess.Run("dotnet", [Binaries.HwSim, "status", "--control", control]);
        Assert.True(exit == 0, output);
        Assert.Contains("\"serial\":4400004", output, StringComparison.Ordinal);
        Assert.Contains("\"profile\":\"yubikey-5.4.3\"", output, StringComparison.Ordinal);
    }

    private static object Simulator543(DaemonProcess d) => new
    {
        name = "yk",
        kind = "simulator",
        serial = 4_400_004,
        profile = "yubikey-5.4.3",
        pin = new { file = SecretFile(d, "yk.pin", "123456") },
    };
}
