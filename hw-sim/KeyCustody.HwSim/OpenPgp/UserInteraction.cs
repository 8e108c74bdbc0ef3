using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp.State;

namespace KeyCustody.HwSim.OpenPgp;

/// <summary>
/// The UIF gate before a private-key operation, with the button PIV uses: on and fixed ask for a touch every time, cached
/// and cached-fixed accept a touch of the last 15 seconds (ykman: "cached for 15s after use"; the card's
/// <see cref="CardOptions.TouchCacheWindow"/>). A touch not given in time answers 69 82; a removal abandons the command.
/// </summary>
internal static class UserInteraction
{
    public static bool Confirm(AppletContext context, PgpKeySlot slot)
    {
        var session = context.Session.OpenPgp;
        var now = context.Time.GetUtcNow();
        switch (slot.Uif)
        {
            case 0x00:
                return true;
            case 0x03 or 0x04 when session.LastTouch is { } last && now - last < context.TouchCacheWindow:
                session.LastTouch = now;
                return true;
        }

        if (!context.Button.WaitForTouch(context.Removal))
        {
            return false;
        }

        session.LastTouch = context.Time.GetUtcNow();
        return true;
    }
}
