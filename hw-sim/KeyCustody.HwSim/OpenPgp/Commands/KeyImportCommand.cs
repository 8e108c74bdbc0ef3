using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp.Keys;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// Key import: PUT DATA odd (DB) with P1P2 3F FF and an extended header list 4D (3.4 §4.4.3.12, §7.2.8), after VERIFY 83.
/// The key must be of the slot's algorithm attributes (6A 80 otherwise). A new signature key sets the signature counter to 0.
/// </summary>
internal static class KeyImportCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        if (apdu.P1 != 0x3F || apdu.P2 != 0xFF)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (!context.Session.OpenPgp.AdminPin)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        if (!PgpKeyImport.TrySplit(apdu.Data, out int crtTag, out var crt, out var layout, out var values)
            || PgpKeyImport.TargetKey(crt.Span, crtTag) is not { } key
            || (key == PgpKey.Attestation && !openPgp.Profile.YubicoExtensions))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var slot = openPgp.Slot(key);
#pragma warning disable CA2000 // The slot owns the key from SetKey on.
        var imported = PgpKeyImport.Build(slot.Algorithm, layout, values.Span, openPgp.Profile.EcImportWithPublicKey);
#pragma warning restore CA2000
        if (imported is null)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        slot.SetKey(imported);
        if (key == PgpKey.Signature)
        {
            openPgp.SignatureCounter = 0;
        }

        context.State.Dirty = true;
        return Response.Ok();
    }
}
