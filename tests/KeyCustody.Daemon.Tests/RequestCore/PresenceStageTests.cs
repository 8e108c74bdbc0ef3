using KeyCustody.HwSim.Touch;
using KeyCustody.Matrix.Json;
using Xunit;
using static KeyCustody.Daemon.Tests.RequestCore.CoreRig;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// A person's confirmation, in process: an operator's approval (given, denied, or not in time on the rig's clock), a
/// touch on the card (prompted with the intent and the card's serial), and a touch the card caches, which covers only
/// the person who gave it.
/// </summary>
public sealed class PresenceStageTests : IDisposable
{
    private readonly CoreRig _rig = CoreRig.Start(c => c.Keys.First(k => k.Name == "alice-ssk").Presence = "operator");

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task An_operators_approval_is_asked_for_after_the_intent_and_recorded_before_the_token()
    {
        var approving = TokenStageTests.Approve(_rig);
        var outcome = await _rig.SignAsync(Alice, "alice-ssk", _rig.Device(), approving.OnEvent);
        Assert.NotNull(outcome.Result);
        Assert.Equal(["accepted", "operator"], outcome.Events.Select(e => e.Kind));
        var records = _rig.RecordsOf(outcome.RequestId);
        Assert.Equal(["intent", "approval", "outcome"], records.Select(r => r.GetString("kind")));
        Assert.Equal("operator", records[0].GetString("presence"));
        Assert.Equal(("uid:1001 gid:1001", "uid:1001 gid:1001"), (records[1].GetString("approver"), records[2].GetString("approver")));
        _rig.AssertSettled();
    }

    [Fact]
    public async Task A_denied_request_is_not_signed_and_its_outcome_says_so()
    {
        var outcome = await _rig.SignAsync(Alice, "alice-ssk", _rig.Device(), e =>
        {
            if (e.Kind == "operator")
            {
                _ = Task.Run(async () =>
                {
                    await Until(() => _rig.Approvals.Pending.Any(p => p.RequestId == e.RequestId), "the request to be listed");
                    _rig.Approvals.Deny(e.RequestId, Operator, "not today");
                });
            }

            return Task.CompletedTask;
        });
        Assert.Equal(DaemonErrorKind.ApprovalDenied, outcome.DaemonKind);
        Assert.Contains("not today", outcome.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(["intent", "outcome"], _rig.RecordsOf(outcome.RequestId).Select(r => r.GetString("kind")));
        Assert.Equal("approvaldenied", _rig.RecordsOf(outcome.RequestId)[^1].GetString("outcome"));
        _rig.AssertSettled();
    }

    [Fact]
    public async Task An_approval_that_does_not_come_in_time_on_the_daemons_clock_times_out()
    {
        var outcome = await _rig.SignAsync(Alice, "alice-ssk", _rig.Device(), e =>
        {
            if (e.Kind == "operator")
            {
                _ = Task.Run(async () =>
                {
                    await Until(() => _rig.Approvals.Pending.Any(p => p.RequestId == e.RequestId), "the request to be listed");
                    _rig.Clock.Advance(TimeSpan.FromSeconds(61));
                });
            }

            return Task.CompletedTask;
        });
        Assert.Equal(DaemonErrorKind.ApprovalTimeout, outcome.DaemonKind);
        Assert.Equal("approvaltimeout", _rig.RecordsOf(outcome.RequestId)[^1].GetString("outcome"));
        _rig.AssertSettled();
    }

    [Fact]
    public async Task A_touch_is_prompted_with_the_intent_and_the_cards_serial_and_counted()
    {
        var outcome = await _rig.SignAsync(Alice, "card-ssk", _rig.Device(), e =>
        {
            if (e.Kind == "touch")
            {
                _ = Task.Run(async () =>
                {
                    await Until(() => _rig.Card.Button.IsWaiting, "the card to wait for a touch");
                    _rig.Card.Button.Touch();
                });
            }

            return Task.CompletedTask;
        });
        Assert.NotNull(outcome.Result);
        var touch = outcome.Events.Single(e => e.Kind == "touch");
        Assert.Equal(("31000001", outcome.RequestId, 120), (touch.TokenSerial, touch.RequestId, touch.TimeoutSeconds));
        Assert.Contains("PHONE", touch.Intent, StringComparison.Ordinal);
        var records = _rig.RecordsOf(outcome.RequestId);
        Assert.Equal("touch", records[0].GetString("presence"));
        Assert.Equal(1L, ((JsonInteger)records[^1]["touches"]!).Value);
    }

    [Fact]
    public async Task A_cached_touch_covers_the_person_who_gave_it_and_nobody_else_until_it_has_expired_on_the_daemons_clock()
    {
        _rig.Card.Button.Configure(TouchMode.Auto, TimeSpan.Zero);
        const string server = "card-cached";

        var first = await _rig.SignAsync(Alice, server, JsonObject.Of(("n", 1L)));
        Assert.Equal(1L, ((JsonInteger)_rig.RecordsOf(first.RequestId)[^1]["touches"]!).Value);

        var before = _rig.Records().Count;
        var bob = await _rig.SignAsync(Bob, server, JsonObject.Of(("n", 2L)));
        Assert.Equal(DaemonErrorKind.FreshPresenceRequired, bob.DaemonKind);
        var refusal = Assert.Single(_rig.RecordsSince(before));
        Assert.Equal("fresh_presence_required", refusal.GetString("decision"));
        Assert.Equal(first.RequestId, ((JsonObject)refusal["cached_touch"]!).GetString("request_id"));

        var again = await _rig.SignAsync(Alice, server, JsonObject.Of(("n", 3L)));
        Assert.DoesNotContain(again.Events, e => e.Kind == "touch");
        Assert.Equal(1L, ((JsonInteger)_rig.RecordsOf(again.RequestId)[^1]["cached_touches"]!).Value);

        _rig.Clock.Advance(TimeSpan.FromSeconds(18));
        var later = await _rig.SignAsync(Bob, server, JsonObject.Of(("n", 4L)));
        Assert.NotNull(later.Result);
        Assert.Contains(later.Events, e => e.Kind == "touch");
        _rig.AssertSettled();
    }
}
