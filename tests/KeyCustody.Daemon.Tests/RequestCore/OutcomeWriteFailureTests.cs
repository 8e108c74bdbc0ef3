using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Grpc;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.RequestCore.CoreRig;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// The outcome record's write fails after SIGNED (docs/architecture.md, "The outcome record"): the caller has its
/// signatures, then the call ends UNAVAILABLE (the record is not durable), and the log refuses everything after. The
/// audit log's own descriptor starts failing with ENOSPC (<see cref="FullDisk"/>) once the intent is on disk and the
/// card waits for its touch; the custody service is called directly, as Kestrel would.
/// </summary>
public sealed class OutcomeWriteFailureTests : IDisposable
{
    private readonly CoreRig _rig = CoreRig.Start();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task The_caller_gets_SIGNED_then_UNAVAILABLE_when_the_outcome_cannot_be_written_and_the_log_refuses_everything_after()
    {
        var service = new CustodyService(_rig.Pipeline, _rig.Keys, _rig.Config.Access, _rig.Identities, _rig.Audit);
        var stream = new CollectedEvents();
        var request = new SignJsonRequest { Key = "card-ssk", Json = ByteString.CopyFrom(Bytes(_rig.Device())) };
        var call = Task.Run(() => service.SignJson(request, stream, new TestCall(Alice)));
        await Until(() => _rig.Card.Button.IsWaiting, "the card to wait for a touch");
        var requestId = stream.Events[0].Accepted.RequestId;
        Assert.Equal(["intent"], _rig.RecordsOf(requestId).Select(r => r.GetString("kind")));

        // The card has the signing command (it waits for the touch with it): the count includes this signature.
        var signatures = _rig.CardSignatures;

        using (FullDisk.Under(_rig.Config.AuditPath))
        {
            _rig.Card.Button.Touch();
            var error = await Assert.ThrowsAsync<RpcException>(() => call);

            // SIGNED first, with a signature that verifies; then the status says the record is not durable.
            Assert.Equal([SignEvent.EventOneofCase.Accepted, SignEvent.EventOneofCase.PresenceRequired, SignEvent.EventOneofCase.Signed], stream.Events.Select(e => e.EventCase));
            var signed = stream.Events[^1].Signed;
            var key = _rig.Keys.Find("card-ssk")!;
            var obj = CanonicalJson.ParseObject(Assert.Single(signed.SignedJson).Span);
            Assert.True(SignedJson.Verify(obj, User, signed.KeyId, key.PublicKey!).IsValid);
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Contains("the audit log cannot be written", error.Status.Detail, StringComparison.Ordinal);
            Assert.Contains("No space left on device", _rig.Audit.Failure, StringComparison.Ordinal);

            // The log refuses everything after: the next request fails before its intent, and the card is not asked.
            var next = await Assert.ThrowsAsync<RpcException>(() => service.SignJson(request, new CollectedEvents(), new TestCall(Alice)));
            Assert.Equal(StatusCode.Unavailable, next.StatusCode);
            Assert.Equal(signatures, _rig.CardSignatures);

            // On disk: the intent, and no outcome (the next start records the request as interrupted).
            Assert.Equal(["intent"], _rig.RecordsOf(requestId).Select(r => r.GetString("kind")));
        }

        // The disk has room again; a clean stop must not write the failed outcome after all (it once sat in the file's
        // write buffer and went out at close), and the next start records the request as interrupted.
        Assert.Equal(["intent:", "outcome:interrupted"], await AfterStopAndStart(requestId));
    }

    [Fact]
    public async Task An_intent_whose_write_failed_is_not_on_disk_after_a_clean_stop_and_the_next_start()
    {
        var before = _rig.Records().Count;
        string? requestId = null;
        using (FullDisk.Under(_rig.Config.AuditPath))
        {
            var outcome = await _rig.SignAsync(Alice, "alice-ssk", _rig.Device(), e =>
            {
                requestId ??= e.RequestId;
                return Task.CompletedTask;
            });
            Assert.NotNull(outcome.Error);
        }

        // The caller heard UNAVAILABLE and nothing was signed: no intent may appear later, and nothing interrupted.
        Assert.NotNull(requestId);
        Assert.Empty(await AfterStopAndStart(requestId));
        Assert.Equal(["start"], _rig.RecordsSince(before).Select(r => r.GetString("kind")));
    }

    /// <summary>Stops the log (the daemon's stop) and opens it again (the next start): the request's records then.</summary>
    private async Task<List<string>> AfterStopAndStart(string requestId)
    {
        _rig.Audit.Dispose();
        using (var reopened = AuditLog.Open(_rig.Config.AuditPath))
        {
            await reopened.DrainAsync();
        }

        return _rig.RecordsOf(requestId).Select(r => r.GetString("kind") + ":" + r.GetString("outcome")).ToList();
    }

    [Fact]
    public async Task A_stop_while_the_disk_is_still_full_closes_the_log_without_an_error()
    {
        var service = new CustodyService(_rig.Pipeline, _rig.Keys, _rig.Config.Access, _rig.Identities, _rig.Audit);
        var request = new SignJsonRequest { Key = "card-ssk", Json = ByteString.CopyFrom(Bytes(_rig.Device())) };
        var stream = new CollectedEvents();
        var call = Task.Run(() => service.SignJson(request, stream, new TestCall(Alice)));
        await Until(() => _rig.Card.Button.IsWaiting, "the card to wait for a touch");
        var requestId = stream.Events[0].Accepted.RequestId;
        using (FullDisk.Under(_rig.Config.AuditPath))
        {
            _rig.Card.Button.Touch();
            Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => call)).StatusCode);

            // The failed write left nothing to write again: closing the log (the daemon's stop) does not throw.
            _rig.Audit.Dispose();
        }

        Assert.Equal(["intent"], _rig.RecordsOf(requestId).Select(r => r.GetString("kind")));
    }
}
