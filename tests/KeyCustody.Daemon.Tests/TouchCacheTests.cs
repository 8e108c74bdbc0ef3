using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Tokens;
using KeyCustody.HwSim.Crypto;
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

    /// <summary>A real card's window is its maker's: the daemon assumes a YubiKey's 15 s for every PIV card (it is not configurable).</summary>
    [Fact]
    public void A_piv_card_is_taken_to_cache_a_touch_for_a_yubikeys_15_s()
    {
        using var piv = TokenHost.Create(Settings(TokenKind.Piv, touchCacheSeconds: null), new LimitsConfig(), null);
        Assert.Equal(TimeSpan.FromSeconds(15), piv.Touches.CardWindow);
        Assert.Equal(TimeSpan.FromSeconds(15), TouchCache.YubiKeyWindow);
    }

    /// <summary>A simulator card and the daemon's record of it count one window: the configured one, else a YubiKey's.</summary>
    [Fact]
    public void A_simulator_card_and_the_daemon_count_the_same_window()
    {
        using var root = SimulatorRoot.CreateEphemeral();
        using var configured = TokenHost.Create(Settings(TokenKind.Simulator, touchCacheSeconds: 600), new LimitsConfig(), root);
        Assert.Equal((TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(600)), (configured.Touches.CardWindow, configured.SimulatedCard!.TouchCacheWindow));
        using var plain = TokenHost.Create(Settings(TokenKind.Simulator, touchCacheSeconds: null), new LimitsConfig(), root);
        Assert.Equal((TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15)), (plain.Touches.CardWindow, plain.SimulatedCard!.TouchCacheWindow));
    }

    [Fact]
    public void A_longer_window_keeps_the_touch_certain_and_guarded_for_its_length()
    {
        var clock = new ManualClock();
        var cache = new TouchCache(clock, TimeSpan.FromSeconds(600));
        cache.Touched("r-1", Alice);
        clock.Advance(TimeSpan.FromSeconds(500));
        Assert.Equal(TouchExpectation.Cached, cache.Expect(TouchPolicy.Cached, Alice, out _));
        Assert.Equal(TouchExpectation.Another, cache.Expect(TouchPolicy.Cached, Bob, out _));
        clock.Advance(TimeSpan.FromSeconds(102.1));
        Assert.Equal(TouchExpectation.MustWait, cache.Expect(TouchPolicy.Cached, Bob, out _));
    }

    private static TokenSettings Settings(TokenKind kind, int? touchCacheSeconds) =>
        new("t", kind, 47_000_001, null, null, null, 1, null, null, null, "auto", 0, 15_000, false, null) { TouchCacheSeconds = touchCacheSeconds };

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
