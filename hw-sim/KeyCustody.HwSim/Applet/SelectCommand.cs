using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>SELECT (A4 04 00): any prefix (>= 5 bytes) of the full PIV AID selects the applet.</summary>
internal static class SelectCommand
{
    private static readonly byte[] FullAid = [0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00];

    /// <summary>Application property template: PIX+version, and the coexistent tag allocation authority.</summary>
    private static readonly byte[] PropertyTemplate =
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
        if (aid.Length < 5 || aid.Length > FullAid.Length || !FullAid.AsSpan(0, aid.Length).SequenceEqual(aid))
        {
            return Response.Status(StatusWord.NotFound);
        }

        context.Session.PivSelected = true;
        return Response.Ok(PropertyTemplate.ToArray());
    }
}
