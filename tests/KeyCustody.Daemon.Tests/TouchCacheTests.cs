using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Security;
using KeyCustody.Tokens;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The daemon's record of a card's touch cache, on a clock the test moves: certain for the toucher up to 13 s after the
/// touch, theirs and guarded against others up to 17 s after its last use, unknown between, forgotten after; a card
/// that went away is no longer certain. (CachedTouchTests shows the same through the real daemon and card.)
/// </summary>
public sealed class TouchCacheTests
{
    private static readonly Principal Alice = Principal.FromPeer(1001, 1001, 1);
    private static readonly Principal AliceOtherGroup = Principal.FromPeer(1001, 1003, 2);
    private static readonly Principal Bob = Principal.FromPeer(1002, 1002, 3);

    [Fact]
    public void A_touch_is_certain_for_its_person_then_unknown_and_always_guarded_against_others()
    {
        var clock = new ManualClock();
        var cache = new TouchCache(clock);
        Assert.Equal(TouchExpectation.MustWait, cache.Expect(TouchPolicy.Cached, Alice, out _));
        Assert.Equal(TouchExpectation.MustWait, cache.Expect(TouchPolicy.Always, Alice, out _));
        Assert.Equal(TouchExpectation.None, cache.Expect(TouchPolicy.Never, Alice, out _));

        cache.Touched("r-1", Alice);
        clock.Advance(TimeSpan.FromSeconds(12));
        Assert.Equal(TouchExpectation.Cached, cache.Expect(TouchPolicy.Cached, AliceOtherGroup, out var touch));
        Assert.Equal(("r-1", Alice), (touch!.RequestId, touch.By));
        Assert.Equal(TouchExpectation.Another, cache.Expect(TouchPolicy.Cached, Bob, out _));
        Assert.Equal(TouchExpectation.MustWait, cache.Expect(TouchPolicy.Always, Bob, out _));

        // Past 13 s the card may have forgotten it; each use may have refreshed it, so others stay out 17 s after the last.
        cache.Used();
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TouchExpectation.Either, cache.Expect(TouchPolicy.Cached, Alice, out _));
        clock.Advance(TimeSpan.FromSeconds(14.9));
        Assert.Equal(TouchExpectation.Another, cache.Expect(TouchPolicy.Cached, Bob, out _));
        Assert.True(cache.Remaining() > TimeSpan.Zero);
        clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal(TouchExpectation.MustWait, cache.Expect(TouchPolicy.Cached, Bob, out _));
        Assert.Equal(TimeSpan.Zero, cache.Remaining());
    }

    [Fact]
    public void A_touch_that_may_have_been_taken_or_a_card_that_went_away_is_guarded_but_not_counted_on()
    {
        var clock = new ManualClock();
        var cache = new TouchCache(clock);
        cache.MaybeTouched("r-1", Alice);
        Assert.Equal(TouchExpectation.Either, cache.Expect(TouchPolicy.Cached, Alice, out _));
        Assert.Equal(TouchExpectation.Another, cache.Expect(TouchPolicy.Cached, Bob, out _));

        cache.Touched("r-2", Alice);
        Assert.Equal(TouchExpectation.Cached, cache.Expect(TouchPolicy.Cached, Alice, out _));
        cache.CardLost();
        Assert.Equal(TouchExpectation.Either, cache.Expect(TouchPolicy.Cached, Alice, out _));
        Assert.Equal(TouchExpectation.Another, cache.Expect(TouchPolicy.Cached, Bob, out _));
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
