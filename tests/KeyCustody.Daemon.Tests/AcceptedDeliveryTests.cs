using Grpc.Core;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// ACCEPTED waits in the response buffer for the next event or the call's end (CustodyService, BufferHint): through the real
/// daemon and its socket, a request that fails after ACCEPTED with no event in between still delivers ACCEPTED (its
/// request id, which names the request in the audit log), then the error status.
/// </summary>
public sealed class AcceptedDeliveryTests
{
    [Fact]
    public async Task A_request_that_fails_after_accepted_with_no_event_between_still_delivers_accepted_then_the_status()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", 4_700_001, demoKeys: false) },
            keys = new[] { Key("srv", "yk", "9a", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();
        using var client = d.Client();
        await Generate(client, "yk", "9a", pin: "never", touch: "never");
        var (signedEvents, signedError) = await Collect(client.Custody.SignJson(SignRequest("srv", JsonObject.Of(("server_name", "example.org")))));
        Assert.Null(signedError);
        Assert.Equal([SignEvent.EventOneofCase.Accepted, SignEvent.EventOneofCase.Signed], signedEvents.Select(e => e.EventCase));

        // The card is pulled out: the request is accepted, its intent written, and the token is then not found.
        var control = Path.Combine(d.StateDirectory, SimulatorControl.FileName);
        var (exit, output) = ChildProcess.Run("dotnet", [Binaries.HwSim, "unplug", "--control", control]);
        Assert.True(exit == 0, output);
        var (events, error) = await Collect(client.Custody.SignJson(SignRequest("srv", JsonObject.Of(("server_name", "example.org")))));
        Assert.NotNull(error);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal([SignEvent.EventOneofCase.Accepted], events.Select(e => e.EventCase));
        var requestId = events[0].Accepted.RequestId;
        Assert.StartsWith("r-", requestId, StringComparison.Ordinal);
        await d.StopAsync();
        Assert.Equal(["intent", "outcome"], ReadAudit(d).For(requestId).Select(r => r.GetString("kind")));
    }
}
