using KeyCustody.Daemon.Security;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Presence;

/// <summary>What the card will do about a touch for the next signature, as far as the daemon can know.</summary>
public enum TouchExpectation
{
    /// <summary>The key has no touch policy.</summary>
    None,

    /// <summary>The card must wait for a touch (policy always, or no touch it could still be caching).</summary>
    MustWait,

    /// <summary>The card will sign on this person's cached touch without waiting.</summary>
    Cached,

    /// <summary>This person's touch may still be cached, or may have expired: the card may or may not wait.</summary>
    Either,

    /// <summary>The card may sign on another person's cached touch: that touch does not cover this caller.</summary>
    Another,
}

/// <summary>A touch the card may still be caching: whose, for which request, and when it is known to have happened.</summary>
/// <param name="RequestId">The request the touch was given for.</param>
/// <param name="By">The person who touched (the requester the card was waiting for).</param>
/// <param name="At">When the card last waited for this person's touch and got it; null when that is not known for sure.</param>
/// <param name="LastUse">When a signature that may have refreshed the card's cache last ended.</param>
public sealed record CachedTouch(string RequestId, Principal By, DateTimeOffset? At, DateTimeOffset LastUse);

/// <summary>
/// The daemon's record of one card's touch cache. With touch policy CACHED a YubiKey signs without a new touch for
/// 15 s after one, and PIV says nothing about it: the card answers the same, only sooner (yubikey-agent and Yubico's
/// tools only start a timer to say "touch your key" after a few seconds). So the daemon keeps the card's clock from
/// its own operations on the card, which it alone drives: a signature on a key with policy ALWAYS, or on a CACHED key
/// when no touch can be cached, is one the card waited for a touch for; for 15 s + 2 s after the last signature that
/// may have used or refreshed the cache, it may be cached, and it belongs to the person whose touch it was; a
/// signature of that same person up to 15 s − 2 s after the touch certainly used it. The 2 s margins absorb the
/// card's and the reader's latency. What this cannot see (threat-model.md): another program using the card through
/// pcscd, and a touch made before the daemon started.
/// </summary>
/// <param name="time">The clock the window is counted on.</param>
/// <param name="cardWindow">The card's window: a YubiKey's 15 s unless given (simulator cards only, whose window is configured).</param>
public sealed class TouchCache(TimeProvider time, TimeSpan? cardWindow = null)
{
    /// <summary>A YubiKey's touch cache: 15 s, fixed by the card, what the daemon assumes for every real card.</summary>
    public static readonly TimeSpan YubiKeyWindow = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    /// <summary>How long the card counts a touch.</summary>
    public TimeSpan CardWindow { get; } = cardWindow ?? YubiKeyWindow;

    private readonly Lock _lock = new();
    private CachedTouch? _touch;

    /// <summary>What the card will do for <paramref name="who"/>'s next signature with a key of <paramref name="policy"/>; <paramref name="cached"/> is the touch it may use.</summary>
    public TouchExpectation Expect(TouchPolicy policy, Principal who, out CachedTouch? cached)
    {
        cached = null;
        if (policy == TouchPolicy.Always)
        {
            return TouchExpectation.MustWait;
        }

        if (policy != TouchPolicy.Cached)
        {
            return TouchExpectation.None;
        }

        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_touch is null || now >= _touch.LastUse + CardWindow + Margin)
            {
                return TouchExpectation.MustWait;
            }

            cached = _touch;
            if (!_touch.By.SameIdentity(who))
            {
                return TouchExpectation.Another;
            }

            return _touch.At is { } at && now < at + CardWindow - Margin ? TouchExpectation.Cached : TouchExpectation.Either;
        }
    }

    /// <summary>How long until no touch can be cached any more (for "retry in N s").</summary>
    public TimeSpan Remaining()
    {
        lock (_lock)
        {
            var left = _touch is null ? TimeSpan.Zero : _touch.LastUse + CardWindow + Margin - time.GetUtcNow();
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>A signature the card waited for <paramref name="who"/>'s touch for was made.</summary>
    public void Touched(string requestId, Principal who)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            _touch = new CachedTouch(requestId, who, now, now);
        }
    }

    /// <summary>
    /// An operation that may have taken <paramref name="who"/>'s touch failed (not for want of a touch): the card may now
    /// cache it, so it is theirs for the window, but the daemon cannot count on it.
    /// </summary>
    public void MaybeTouched(string requestId, Principal who)
    {
        lock (_lock)
        {
            _touch = new CachedTouch(requestId, who, null, time.GetUtcNow());
        }
    }

    /// <summary>
    /// The card went away (pulled, reset): a card forgets its cached touch when it loses power, but the daemon cannot
    /// tell that it did, so the touch is no longer certain (the owner is prompted again) and still guarded against others.
    /// </summary>
    public void CardLost()
    {
        lock (_lock)
        {
            if (_touch is not null)
            {
                _touch = _touch with { At = null };
            }
        }
    }

    /// <summary>A signature that may have used (and so refreshed) the cached touch was made.</summary>
    public void Used()
    {
        lock (_lock)
        {
            if (_touch is not null)
            {
                _touch = _touch with { LastUse = time.GetUtcNow() };
            }
        }
    }
}
