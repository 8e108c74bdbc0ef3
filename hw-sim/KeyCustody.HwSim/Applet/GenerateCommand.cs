using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// GENERATE ASYMMETRIC KEY PAIR (47): <c>00 47 00 slot Lc AC L 80 01 alg [AA 01 pin] [AB 01 touch]</c>. F9 takes a new
/// attestation key too (RSA 2048+ or EC only), as on a YubiKey; its certificate is then the owner's to import.
/// </summary>
internal static class GenerateCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        if (!context.Session.ManagementAuthenticated)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        if (apdu.P1 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        byte slot = apdu.P2;
        if (!PivSlots.IsKeySlot(slot))
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (!Tlv.TryParseSingle(apdu.Data, 0xAC, out var template)
            || !Tlv.TryParseAll(template, out var fields)
            || Tlv.Find(fields, 0x80) is not { Value.Length: 1 } algorithmField)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var algorithm = (KeyAlgorithm)algorithmField.Value.Span[0];
        if (!PivAlgorithms.IsSupported(algorithm, context.State.Profile)
            || (slot == PivSlots.Attestation && !PivAlgorithms.CanAttest(algorithm))
            || !PolicyFields.TryRead(fields, slot, out var pinPolicy, out var touchPolicy))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var key = SlotKey.Generate(algorithm, pinPolicy, touchPolicy);
        context.State.SetKey(slot, key);
        return Response.Ok(Tlv.Encode(0x7F49, key.PublicKeyTlv()));
    }
}
