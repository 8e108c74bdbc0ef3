using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Management;
using KeyCustody.HwSim.OpenPgp;
using KeyCustody.HwSim.State;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// The card's applets behind one framing layer: SELECT picks PIV, OpenPGP or the management applet, every other command
/// goes to the one selected (before any SELECT: <c>6D 00</c>). The session state sits in between.
/// </summary>
internal sealed class CardApplets
{
    private readonly CardState _state;
    private readonly Button _button;
    private readonly TimeProvider _time;
    private readonly TimeSpan _touchCacheWindow;
    private readonly ApduFraming _framing;
    private SessionState _session = new();

    public CardApplets(CardState state, Button button, TimeProvider time, TimeSpan touchCacheWindow)
    {
        _state = state;
        _button = button;
        _time = time;
        _touchCacheWindow = touchCacheWindow;
        int longest = Math.Max(ApduFraming.MaxCommandData, state.Profile.OpenPgp.MaxCommandLength);
        _framing = new ApduFraming(longest, () => _session.Selected == SelectedApplet.OpenPgp);
    }

    public SessionState Session => _session;

    /// <summary>Power off, power on, warm reset, reboot: everything volatile is forgotten.</summary>
    public void ResetSession()
    {
        _session.ClearAuthenticationInProgress();
        _session = new SessionState();
        _framing.Reset();
    }

    public byte[] Process(ReadOnlySpan<byte> raw, CancellationToken removal)
    {
        var context = new AppletContext(_state, _session, _button, _time, removal) { TouchCacheWindow = _touchCacheWindow };
        var response = _framing.Process(raw, apdu => Dispatch(context, apdu));
        if (context.Session.RebootRequested)
        {
            ResetSession();
        }

        return response;
    }

    private static Response Dispatch(AppletContext context, CommandApdu apdu)
    {
        var selected = context.Session.Selected;
        if ((apdu.Cla & 0x80) != 0 && (selected != SelectedApplet.OpenPgp || apdu.Ins == 0xA4))
        {
            return Response.Status(StatusWord.ClassNotSupported);
        }

        if (apdu.Ins == 0xA4)
        {
            return SelectCommand.Handle(context, apdu);
        }

        return selected switch
        {
            SelectedApplet.Piv => PivApplet.Dispatch(context, apdu),
            SelectedApplet.Management => ManagementApplet.Dispatch(context, apdu),
            SelectedApplet.OpenPgp => OpenPgpApplet.Dispatch(context, apdu),
            _ => Response.Status(StatusWord.InstructionNotSupported),
        };
    }
}
