using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp.Keys;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// Yubico's GET ATTESTATION (<c>80 FB 01|02|03 00</c>: SIG, DEC, AUT), after VERIFY 81 (ykman verifies the PIN first) and,
/// when D9 asks for it, a touch. The statement goes into the key's cardholder certificate occurrence of 7F21 (SIG 2, DEC 1,
/// AUT 0), overwriting it; there is no response data. Our status words: no key 6A 88; an imported key 69 85 ("can only be
/// generated if the attested key has been generated on device"); no usable ATT key or FC certificate 6A 80.
/// </summary>
internal static class AttestationCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        var state = context.State;
        var openPgp = state.OpenPgp;
        if (apdu.Cla != 0x80)
        {
            return Response.Status(StatusWord.ClassNotSupported);
        }

        if (apdu.P1 is < 1 or > 3 || apdu.P2 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        if (!context.Session.OpenPgp.UserPinForSigning && !context.Session.OpenPgp.UserPinForOther)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        var key = (PgpKey)(apdu.P1 - 1);
        var attested = openPgp.Slot(key).Key;
        if (attested is null)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (attested.Origin != KeyOrigin.Generated)
        {
            return Response.Status(StatusWord.ConditionsNotSatisfied);
        }

        var attestation = openPgp.Slot(PgpKey.Attestation);
        if (attestation.Key is not { } attestationKey || Template(openPgp.AttestationCertificate) is not { } template)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        using (template)
        using (var signer = attestationKey.CreateCertificateSigner())
        {
            if (signer is null)
            {
                return Response.Status(StatusWord.IncorrectData);
            }

            if (!UserInteraction.Confirm(context, attestation))
            {
                return Response.Status(StatusWord.SecurityStatusNotSatisfied);
            }

            openPgp.Certificates[KeyTags.CertificateOccurrence(key)] = PgpAttestation.Issue(key, state, signer, template);
            state.Dirty = true;
            return Response.Ok();
        }
    }

    private static X509Certificate2? Template(byte[] certificate)
    {
        if (certificate.Length == 0)
        {
            return null;
        }

        try
        {
            return X509CertificateLoader.LoadCertificate(certificate);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
