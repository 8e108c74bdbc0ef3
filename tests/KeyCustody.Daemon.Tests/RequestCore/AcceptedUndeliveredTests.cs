using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Daemon.Grpc;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Signing;
using KeyCustody.HwSim.Touch;
using SignJsonRequest = KeyCustody.Protos.V1.SignJsonRequest;
using Microsoft.Extensions.Logging;
using Xunit;
using static KeyCustody.Daemon.Tests.RequestCore.CoreRig;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// An admitted request whose caller is gone before ACCEPTED reaches it (the gRPC layer's write throws, as CustodyService's
/// does on a call already cancelled): it ends there, before its intent, so nothing is signed and nothing is audited
/// (docs/architecture.md, step 8); the daemon's log has its one line with who, which key, the request id and the result.
/// </summary>
public sealed class AcceptedUndeliveredTests : IDisposable
{
    private readonly CoreRig _rig = CoreRig.Start();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task A_caller_gone_before_ACCEPTED_is_one_log_line_with_no_intent_and_nothing_signed()
    {
        var log = new CapturedLog<SigningPipeline>();
        var pipeline = Pipeline(log);
        _rig.Card.Button.Configure(TouchMode.Auto, TimeSpan.Zero);
        var signatures = _rig.CardSignatures;
        var before = _rig.Records().Count;
        var gone = new CancellationToken(canceled: true);
        string? requestId = null;
        Task Emit(RequestEvent e)
        {
            if (e is Accepted accepted)
            {
                requestId = accepted.RequestId;
                return Task.FromCanceled(gone);
            }

            return Task.CompletedTask;
        }

        var request = new SignRequest(Alice, "card-ssk", [Bytes(_rig.Device())], SignOperation.SignJson);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Run(() => pipeline.RunAsync(request, Emit, CancellationToken.None)));

        Assert.NotNull(requestId);
        var line = Assert.Single(log.Lines);
        Assert.Equal((106, LogLevel.Warning), (line.EventId, line.Level));
        Assert.Equal(requestId, line.Properties["RequestId"]);
        Assert.Equal((Alice.ToString(), "card-ssk", RequestResults.Cancelled), (line.Properties["Principal"], line.Properties["Key"], line.Properties["Result"]));
        Assert.DoesNotContain("PHONE", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PHONE", string.Concat(line.Properties.Values), StringComparison.Ordinal);

        Assert.Empty(_rig.RecordsSince(before));
        Assert.Equal(signatures, _rig.CardSignatures);
        _rig.AssertSettled();
    }

    [Fact]
    public async Task A_call_cancelled_before_ACCEPTED_ends_CANCELLED_with_its_log_line_and_no_record()
    {
        var log = new CapturedLog<SigningPipeline>();
        var service = new CustodyService(Pipeline(log), _rig.Keys, _rig.Config.Access, _rig.Identities, _rig.Audit);
        var before = _rig.Records().Count;
        var stream = new CollectedEvents();
        var request = new SignJsonRequest { Key = "alice-ssk", Json = ByteString.CopyFrom(Bytes(_rig.Device())) };

        // The caller hung up after its request was read: the call's token is cancelled, so writing ACCEPTED throws.
        var error = await Assert.ThrowsAsync<RpcException>(() => service.SignJson(request, stream, new TestCall(Alice, new CancellationToken(canceled: true))));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Empty(stream.Events);
        var line = Assert.Single(log.Lines);
        Assert.Equal((106, "alice-ssk", RequestResults.Cancelled), (line.EventId, line.Properties["Key"], line.Properties["Result"]));
        Assert.StartsWith("r-", line.Properties["RequestId"], StringComparison.Ordinal);
        Assert.Empty(_rig.RecordsSince(before));
        _rig.AssertSettled();
    }

    private SigningPipeline Pipeline(CapturedLog<SigningPipeline> log) => new(_rig.Keys, _rig.Config.Access, _rig.Stages, _rig.Identities, _rig.Config, log);
}
