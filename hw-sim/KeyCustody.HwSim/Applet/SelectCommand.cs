using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Management;
using KeyCustody.HwSim.State;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// SELECT by AID (A4 04 00): any prefix (>= 5 bytes) of the full PIV AID selects PIV, Yubico's management AID the
/// management applet. Any other AID (OTP, FIDO, OATH, OpenPGP, the Security Domain of SCP03/SCP11) is absent:
/// <c>6A 82</c>, and the applet selected before stays selected.
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
        if (aid.Length >= 5 && aid.Length <= FullPivAid.Length && FullPivAid.AsSpan(0, aid.Length).SequenceEqual(aid)
            && context.State.Device.IsEnabledOverUsb(Capabilities.Piv))
        {
            session.Selected = SelectedApplet.Piv;
            return Response.Ok(PivPropertyTemplate.ToArray());
        }

        if (ManagementApplet.Aid.SequenceEqual(aid))
        {
            if (session.Selected == SelectedApplet.Piv)
            {
                session.LeavePiv();
            }

            session.Selected = SelectedApplet.Management;
            return Response.Ok(ManagementApplet.SelectResponse(context.State.Identity));
        }

        return Response.Status(StatusWord.NotFound);
    }
}
