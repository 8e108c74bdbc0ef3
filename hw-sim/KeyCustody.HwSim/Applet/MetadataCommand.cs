using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>GET METADATA (F7): PIN/PUK (01, 05, 06), management key (01, 02, 05), key slots (01, 02, 03, 04).</summary>
internal static class MetadataCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P1 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        var state = context.State;
        switch (apdu.P2)
        {
            case PivSlots.Pin:
            case PivSlots.Puk:
                var credential = apdu.P2 == PivSlots.Pin ? state.Pin : state.Puk;
                return Response.Ok(Tlv.Concat(
                    Tlv.Encode(0x01, [0xFF]),
                    Tlv.Encode(0x05, [credential.IsDefault ? (byte)1 : (byte)0]),
                    Tlv.Encode(0x06, [(byte)credential.MaxRetries, (byte)credential.Remaining])));
            case PivSlots.ManagementKey:
                var managementKey = state.ManagementKey;
                var touch = managementKey.TouchRequired ? TouchPolicy.Always : TouchPolicy.Never;
                return Response.Ok(Tlv.Concat(
                    Tlv.Encode(0x01, [(byte)managementKey.Algorithm]),
                    Tlv.Encode(0x02, [0x00, (byte)touch]),
                    Tlv.Encode(0x05, [managementKey.IsDefault ? (byte)1 : (byte)0])));
            default:
                var key = PivSlots.IsKeySlot(apdu.P2) ? state.KeyIn(apdu.P2) : null;
                if (key is null)
                {
                    return Response.Status(StatusWord.ReferenceNotFound);
                }

                return Response.Ok(Tlv.Concat(
                    Tlv.Encode(0x01, [(byte)key.Algorithm]),
                    Tlv.Encode(0x02, [(byte)key.PinPolicy, (byte)key.TouchPolicy]),
                    Tlv.Encode(0x03, [(byte)key.Origin]),
                    Tlv.Encode(0x04, key.PublicKeyTlv())));
        }
    }
}
