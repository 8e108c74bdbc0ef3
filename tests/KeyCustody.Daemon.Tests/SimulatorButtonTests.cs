using KeyCustody.Daemon.Hosting;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>An in-process simulated card with touch "manual" has a button: hw-sim's control socket in the state directory.</summary>
public sealed class SimulatorButtonTests
{
    [Fact]
    public async Task A_manual_touch_is_pressed_with_keycustody_hwsim_touch()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", 4_300_001, touch: "manual", touchTimeoutMs: 120_000, demoKeys: false) },
            keys = new[] { Key("srv", "yk", "9a", "server", owner: "example.org", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();
        var control = Path.Combine(d.StateDirectory, SimulatorControl.FileName);
        Assert.Contains($"press with keycustody-hwsim touch --control {control} --serial 4300001", d.Output, StringComparison.Ordinal);

        using var client = d.Client();
        await Generate(client, "yk", "9a", pin: "never", touch: "always");
        using var call = client.Custody.SignJson(SignRequest("srv", JsonObject.Of(("server_name", "example.org"))));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SignEvent.EventOneofCase.Accepted, call.ResponseStream.Current.EventCase);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SignEvent.EventOneofCase.PresenceRequired, call.ResponseStream.Current.EventCase);

        // PRESENCE_REQUIRED comes just before the card starts waiting: press until a card was waiting for it.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var (exit, output) = (0, string.Empty);
        do
        {
            (exit, output) = ChildProcess.Run("dotnet", [Binaries.HwSim, "touch", "--control", control]);
            Assert.True(exit == 0, output);
        }
        while (!output.Contains("\"touched\":[4300001]", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Contains("\"touched\":[4300001]", output, StringComparison.Ordinal);

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SignEvent.EventOneofCase.Signed, call.ResponseStream.Current.EventCase);
    }
}
