using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Security;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Signing;

/// <summary>
/// What one request's signatures took from the card, for its outcome record: the touches the card waited for, the
/// signatures it made on a cached touch (and whose touch that was), and those where the daemon cannot tell which
/// (threat-model.md, "Touch-cached keys"). Prompts shown to the person are counted apart: a prompt is not a touch.
/// </summary>
internal sealed class TouchCount
{
    private int _waited;
    private int _cached;
    private int _unknown;
    private CachedTouch? _from;

    public int Prompts { get; set; }

    /// <summary>One signature made; the card's touch cache learns what it now holds.</summary>
    public void Count(TouchExpectation expect, CachedTouch? cached, TouchCache cache, string requestId, Principal who)
    {
        switch (expect)
        {
            case TouchExpectation.MustWait:
                _waited++;
                cache.Touched(requestId, who);
                break;
            case TouchExpectation.Cached:
                _cached++;
                _from ??= cached;
                cache.Used();
                break;
            case TouchExpectation.Either:
                _unknown++;
                _from ??= cached;
                cache.Used();
                break;
        }
    }

    /// <summary><paramref name="outcome"/> with touches (waited for), cached_touches, touches_unknown and cached_touch (whose).</summary>
    public JsonObject Describe(JsonObject outcome)
    {
        var record = outcome.With("touches", _waited);
        if (_cached > 0)
        {
            record = record.With("cached_touches", _cached);
        }

        if (_unknown > 0)
        {
            record = record.With("touches_unknown", _unknown);
        }

        return _from is null ? record : record.With("cached_touch", JsonObject.Of(("request_id", _from.RequestId), ("principal", _from.By.ToString())));
    }
}
