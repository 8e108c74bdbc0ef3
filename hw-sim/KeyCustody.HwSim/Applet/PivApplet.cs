using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.State;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Applet;

/// <summary>The PIV applet: framing in front, one handler per instruction behind, session state in between.</summary>
internal sealed class PivApplet
{
    private readonly CardState _state;
    private readonly Button _button;
    private readonly TimeProvider _time;
    private readonly ApduFraming _framing = new();
    private SessionState _session = new();

    public PivApplet(CardState state, Button button, TimeProvider time)
    {
        _state = state;
        _button = button;
        _time = time;
    }

    public SessionState Session => _session;

    /// <summary>Power off, power on, warm reset: everything volatile is forgotten.</summary>
    public void ResetSession()
    {
        _session.ClearAuthenticationInProgress();
        _session = new SessionState();
        _framing.Reset();
    }

    public byte[] Process(ReadOnlySpan<byte> raw, CancellationToken removal)
    {
        var context = new AppletContext(_state, _session, _button, _time, removal);
        return _framing.Process(raw, apdu => Dispatch(context, apdu));
    }

    private static Response Dispatch(AppletContext context, CommandApdu apdu)
    {
        if (apdu.Ins == 0xA4)
        {
            return SelectCommand.Handle(context, apdu);
        }

        if (!context.Session.PivSelected)
        {
            return Response.Status(StatusWord.InstructionNotSupported);
        }

        return apdu.Ins switch
        {
            0xFD => IdentityCommands.Version(context),
            0xF8 => IdentityCommands.Serial(context),
            0x20 => PinCommands.Verify(context, apdu),
            0x24 => PinCommands.ChangeReference(context, apdu),
            0x2C => PinCommands.ResetRetry(context, apdu),
            0xFA => PinCommands.SetRetries(context, apdu),
            0xFB => ResetCommand.Handle(context),
            0xFF => ManagementKeyCommands.Set(context, apdu),
            0x87 => GeneralAuthenticateCommand.Handle(context, apdu),
            0x47 => GenerateCommand.Handle(context, apdu),
            0xF7 => MetadataCommand.Handle(context, apdu),
            0xF9 => AttestCommand.Handle(context, apdu),
            0xCB => DataObjectCommands.Get(context, apdu),
            0xDB => DataObjectCommands.Put(context, apdu),
            0xFE => ImportCommand.Handle(context, apdu),
            0xF6 => MoveDeleteCommand.Handle(context, apdu),
            _ => Response.Status(StatusWord.InstructionNotSupported),
        };
    }
}
