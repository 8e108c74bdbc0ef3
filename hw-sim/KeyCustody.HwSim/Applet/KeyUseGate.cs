using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// The one place PIN and touch policies are enforced before any private-key operation. PIN first, then touch,
/// as the card does; a PIN-ALWAYS verification is consumed by the next private-key operation whatever its outcome.
/// </summary>
internal static class KeyUseGate
{
    /// <summary>Null when the operation may proceed, else the status word to answer.</summary>
    public static ushort? Authorize(AppletContext context, SlotKey key)
    {
        var session = context.Session;
        bool armed = session.PinAlwaysArmed;
        session.PinAlwaysArmed = false;

        bool pinOk = key.PinPolicy switch
        {
            PinPolicy.Never => true,
            PinPolicy.Always => armed && session.PinVerified,
            _ => session.PinVerified,
        };
        if (!pinOk)
        {
            return StatusWord.SecurityStatusNotSatisfied;
        }

        bool touchOk = key.TouchPolicy switch
        {
            TouchPolicy.Always => context.RequireTouch(),
            TouchPolicy.Cached => IsCachedTouchValid(context) || context.RequireTouch(),
            _ => true,
        };
        return touchOk ? null : StatusWord.SecurityStatusNotSatisfied;
    }

    private static bool IsCachedTouchValid(AppletContext context) =>
        context.Session.LastTouch is { } last && context.Time.GetUtcNow() - last < context.TouchCacheWindow;
}
