using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.OpenPgp.Keys;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// GENERATE ASYMMETRIC KEY PAIR (47, 3.4 §7.2.14) with a CRT (B6, B8, A4; <c>B6 03 84 01 81</c> for the ATT key): P1 80
/// generates a key of the slot's algorithm attributes after VERIFY 83, P1 81 reads the public key. Both answer
/// <c>7F49 {81 n 82 e}</c> (RSA) or <c>7F49 {86 point}</c>. A new signature key sets the signature counter to 0.
/// </summary>
internal static class KeyPairCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        if (apdu.P1 is not (0x80 or 0x81) || apdu.P2 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        if (!Tlv.TryParseAll(apdu.Data, out var crts) || crts.Count != 1
            || PgpKeyImport.TargetKey(crts[0].Value.Span, crts[0].Tag) is not { } key
            || (key == PgpKey.Attestation && !openPgp.Profile.YubicoExtensions))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var slot = openPgp.Slot(key);
        if (apdu.P1 == 0x81)
        {
            return slot.Key is { } existing ? Response.Ok(PublicKeyTemplate(existing)) : Response.Status(StatusWord.ReferenceNotFound);
        }

        if (!context.Session.OpenPgp.AdminPin)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        var generated = SlotKey.Generate(slot.Algorithm.KeyType, PinPolicy.Default, TouchPolicy.Default);
        slot.SetKey(generated);
        if (key == PgpKey.Signature)
        {
            openPgp.SignatureCounter = 0;
        }

        context.State.Dirty = true;
        return Response.Ok(PublicKeyTemplate(generated));
    }

    public static byte[] PublicKeyTemplate(SlotKey key) => Tlv.Encode(0x7F49, key.PublicKeyTlv());
}
