using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Management;
using KeyCustody.HwSim.OpenPgp;
using KeyCustody.HwSim.State;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// SELECT by AID (A4 04 00): any prefix (>= 5 bytes) of the full PIV AID selects PIV, any prefix of the OpenPGP AID from
/// D2 76 00 01 24 01 on the OpenPGP applet, Yubico's management AID the management applet; each only where the profile has
/// it and the device configuration enables it over USB. Any other AID (OTP, FIDO, OATH, the Security Domain of
/// SCP03/SCP11) is absent: <c>6A 82</c>, and the applet selected before stays selected. Leaving an applet ends its PIN
/// verifications.
/// </summary>
internal static class SelectCommand
{
    private static readonly byte[] FullPivAid = [0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00];

    /// <summary>Application property template: PIX+version, and the coexistent tag allocation authority.</summary>
    private static readonly byte[] PivPropertyTemplate =
    [
        0x61, 0x11, 0x4F, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
        0x79, 0x07, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08,
    ];

    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P1 != 0x04)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        var aid = apdu.Data;
        var session = context.Session;
        var state = context.State;
        var profile = state.Profile;
        if (profile.HasPiv && aid.Length >= 5 && aid.Length <= FullPivAid.Length && FullPivAid.AsSpan(0, aid.Length).SequenceEqual(aid)
            && state.Device.IsEnabledOverUsb(Capabilities.Piv))
        {
            Leave(session, SelectedApplet.Piv);
            session.Selected = SelectedApplet.Piv;
            return Response.Ok(PivPropertyTemplate.ToArray());
        }

        if (OpenPgpAid.Selects(aid, ApplicationData.Aid(state))
            && (!profile.HasManagement || state.Device.IsEnabledOverUsb(Capabilities.OpenPgp)))
        {
            Leave(session, SelectedApplet.OpenPgp);
            session.Selected = SelectedApplet.OpenPgp;
            return OpenPgpApplet.Select(context);
        }

        if (profile.HasManagement && ManagementApplet.Aid.SequenceEqual(aid))
        {
            Leave(session, SelectedApplet.Management);
            session.Selected = SelectedApplet.Management;
            return Response.Ok(ManagementApplet.SelectResponse(state.Identity));
        }

        return Response.Status(StatusWord.NotFound);
    }

    /// <summary>Selecting another applet ends the security status of the one selected (our model; README).</summary>
    private static void Leave(SessionState session, SelectedApplet next)
    {
        if (session.Selected == next)
        {
            return;
        }

        if (session.Selected == SelectedApplet.Piv)
        {
            session.LeavePiv();
        }
        else if (session.Selected == SelectedApplet.OpenPgp)
        {
            session.OpenPgp.Clear();
        }
    }
}
