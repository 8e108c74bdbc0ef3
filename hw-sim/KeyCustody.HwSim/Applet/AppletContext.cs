using KeyCustody.HwSim.State;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Applet;

/// <summary>Everything a command handler may touch: persistent state, session, button, clock, removal signal.</summary>
internal sealed class AppletContext
{
    public AppletContext(CardState state, SessionState session, Button button, TimeProvider time, CancellationToken removal)
    {
        State = state;
        Session = session;
        Button = button;
        Time = time;
        Removal = removal;
    }

    public CardState State { get; }
    public SessionState Session { get; }
    public Button Button { get; }
    public TimeProvider Time { get; }
    public CancellationToken Removal { get; }

    /// <summary>How long a touch counts for keys with a cached touch policy (the card's option).</summary>
    public TimeSpan TouchCacheWindow { get; init; } = CardOptions.YubiKeyTouchCacheWindow;

    /// <summary>Waits for the button; records the touch for the CACHED policy. False: not touched in time.</summary>
    public bool RequireTouch()
    {
        if (!Button.WaitForTouch(Removal))
        {
            return false;
        }

        Session.LastTouch = Time.GetUtcNow();
        return true;
    }
}
