using KeyCustody.HwSim.Touch;
using Xunit;
using static KeyCustody.Daemon.Tests.RequestCore.CoreRig;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// The token's queue and a caller who goes away, in process: positions are told, a full queue refuses after the
/// intent (with its outcome), and a caller cancelling at any await (accepted, waiting for an operator, queued, waiting
/// for a touch) ends with one "cancelled" outcome, gives its turn back and, before the token is reached, never asks it.
/// </summary>
public sealed class QueueAndCancellationTests : IDisposable
{
    private readonly CoreRig _rig = CoreRig.Start(c =>
    {
        c.Limits.MaxQueuePerToken = 1;
        c.Keys.First(k => k.Name == "card-cached").Presence = "operator";
    });

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task A_request_behind_another_is_told_its_place_and_one_more_is_refused_with_an_outcome()
    {
        var holding = _rig.SignAsync(Alice, "card-ssk", _rig.Device());
        await Until(() => _rig.Card.Button.IsWaiting, "the card to wait for a touch");

        var queuedSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = _rig.SignAsync(Bob, "card-ssk", _rig.Device(), e =>
        {
            if (e.Kind == "queued")
            {
                queuedSeen.TrySetResult();
            }

            return Task.CompletedTask;
        });
        await queuedSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var refused = await _rig.SignAsync(Alice, "card-ssk", _rig.Device());
        Assert.Equal(DaemonErrorKind.QueueFull, refused.DaemonKind);
        Assert.Equal(["intent", "outcome"], _rig.RecordsOf(refused.RequestId).Select(r => r.GetString("kind")));
        Assert.Equal("queuefull", _rig.RecordsOf(refused.RequestId)[^1].GetString("outcome"));

        _rig.Card.Button.Configure(TouchMode.Auto, TimeSpan.Zero);
        _rig.Card.Button.Touch();
        Assert.NotNull((await holding).Result);
        var second = await waiting;
        Assert.NotNull(second.Result);
        Assert.Equal(1, second.Events.First(e => e.Kind == "queued").Position);
        _rig.AssertSettled();
    }

    public static TheoryData<string> CancelPoints => new() { "accepted", "operator", "queued", "touch" };

    [Theory]
    [MemberData(nameof(CancelPoints))]
    public async Task A_caller_cancelling_at_any_await_gets_one_cancelled_outcome_and_gives_its_turn_back(string at)
    {
        Task<Outcome>? holding = null;
        if (at == "queued")
        {
            holding = _rig.SignAsync(Bob, "card-ssk", _rig.Device());
            await Until(() => _rig.Card.Button.IsWaiting, "the card to wait for a touch");
        }

        var signaturesBefore = _rig.CardSignatures;

        using var cancel = new CancellationTokenSource();
        var key = at == "operator" ? "card-cached" : "card-ssk";
        var outcome = await _rig.SignAsync(Alice, key, [Bytes(_rig.Device())], Signing.SignOperation.SignJson, async e =>
        {
            if (e.Kind == at && at == "operator")
            {
                // The event comes before the request is listed: the caller goes away while it waits for an operator.
                _ = Task.Run(async () =>
                {
                    await Until(() => _rig.Approvals.Pending.Count == 1, "the request to be listed");
                    await cancel.CancelAsync();
                });
            }
            else if (e.Kind == at)
            {
                await cancel.CancelAsync();
            }
        }, cancel.Token);

        Assert.True(outcome.Error is OperationCanceledException or KeyCustody.Tokens.TokenException { Kind: KeyCustody.Tokens.TokenErrorKind.OperationCancelled }, outcome.Error?.ToString());
        var records = _rig.RecordsOf(outcome.RequestId);
        Assert.Equal(["intent", "outcome"], records.Select(r => r.GetString("kind")));
        Assert.Equal("cancelled", records[^1].GetString("outcome"));

        // Cancelled before the card was reached, the card never saw it (a touch prompt comes before the card waits).
        Assert.Equal(signaturesBefore, _rig.CardSignatures);

        _rig.Card.Button.Configure(TouchMode.Auto, TimeSpan.Zero);
        if (holding is not null)
        {
            _rig.Card.Button.Touch();
            Assert.NotNull((await holding).Result);
        }

        // The turn came back: the next request has the card at once.
        var next = await _rig.SignAsync(Alice, "card-ssk", _rig.Device());
        Assert.NotNull(next.Result);
        Assert.DoesNotContain(next.Events, e => e.Kind == "queued");
        _rig.AssertSettled();
    }
}
