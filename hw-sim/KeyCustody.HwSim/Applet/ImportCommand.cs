using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Applet;

/// <summary>IMPORT ASYMMETRIC KEY (FE): Ed25519 seed (tag 07), X25519 scalar (08), P-256 scalar (06).</summary>
internal static class ImportCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        if (!context.Session.ManagementAuthenticated)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        byte slot = apdu.P2;
        if (!PivSlots.IsUserKeySlot(slot))
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        var algorithm = (KeyAlgorithm)apdu.P1;
        int tag = algorithm switch
        {
            KeyAlgorithm.Ed25519 => 0x07,
            KeyAlgorithm.X25519 => 0x08,
            KeyAlgorithm.EccP256 => 0x06,
            _ => 0,
        };
        if (tag == 0 || !Tlv.TryParseAll(apdu.Data, out var fields)
            || Tlv.Find(fields, tag) is not { Value.Length: 32 } material
            || !PolicyFields.TryRead(fields, slot, out var pinPolicy, out var touchPolicy))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        SlotKey? key = SlotKey.FromPrivate(algorithm, material.Value.Span, pinPolicy, touchPolicy, KeyOrigin.Imported);
        try
        {
            if (key is null)
            {
                return Response.Status(StatusWord.IncorrectData);
            }

            context.State.SetKey(slot, key);
            key = null;
            return Response.Ok();
        }
        finally
        {
            key?.Dispose();
        }
    }
}
