using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>GET DATA (CB) and PUT DATA (DB) on P1P2 3FFF; contents travel in tag 53, discovery (7E) is built in.</summary>
internal static class DataObjectCommands
{
    /// <summary>Discovery object: the PIV AID and PIN usage policy (PIV PIN only), as a YubiKey 5 answers.</summary>
    private static readonly byte[] Discovery =
    [
        0x7E, 0x12, 0x4F, 0x0B, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
        0x5F, 0x2F, 0x02, 0x40, 0x00,
    ];

    public static Response Get(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P1 != 0x3F || apdu.P2 != 0xFF)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        if (!Tlv.TryParseSingle(apdu.Data, 0x5C, out var idField) || !TryReadId(idField.Span, out int id))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        if (id == DataObjectIds.Discovery)
        {
            return Response.Ok(Discovery.ToArray());
        }

        if (DataObjectIds.NeedsPin(id) && !context.Session.PinVerified)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        return context.State.ObjectValue(id) is { } value
            ? Response.Ok(Tlv.Encode(0x53, value))
            : Response.Status(StatusWord.NotFound);
    }

    public static Response Put(AppletContext context, CommandApdu apdu)
    {
        if (!context.Session.ManagementAuthenticated)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        if (apdu.P1 != 0x3F || apdu.P2 != 0xFF)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        if (!Tlv.TryParseAll(apdu.Data, out var fields) || fields.Count != 2
            || fields[0].Tag != 0x5C || !TryReadId(fields[0].Value.Span, out int id)
            || fields[1].Tag != 0x53 || !DataObjectIds.IsWritable(id))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        context.State.SetObject(id, fields[1].Value.ToArray());
        return Response.Ok();
    }

    private static bool TryReadId(ReadOnlySpan<byte> field, out int id)
    {
        id = 0;
        if (field.Length is not 1 and not 3)
        {
            return false;
        }

        foreach (byte b in field)
        {
            id = (id << 8) | b;
        }

        return true;
    }
}
