using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// ATTEST (F9): a DER certificate for a key generated on the card, signed by whatever key sits in F9 (the factory
/// one, or one the owner generated or imported there) and issued in the name of the F9 certificate (5FFF01).
/// </summary>
internal static class AttestCommand
{
    /// <summary>Yubico.NET.SDK, PIV attestation, "Replacing the attestation key and cert": the F9 certificate's limits.</summary>
    private const int MaxCertificateLength = 3051;
    private const int MaxSubjectLength = 1028;

    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P2 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        byte slot = apdu.P1;
        var state = context.State;
        var key = PivSlots.IsUserKeySlot(slot) ? state.KeyIn(slot) : null;
        if (key is null || key.Origin != KeyOrigin.Generated
            || state.KeyIn(PivSlots.Attestation) is not { } attestationKey
            || ReadAttestationCertificate(state.ObjectValue(DataObjectIds.AttestationCertificate)) is not { } issuer)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        using (issuer)
        using (var signer = attestationKey.CreateCertificateSigner())
        {
            return signer is null
                ? Response.Status(StatusWord.IncorrectData)
                : Response.Ok(AttestationStatement.Issue(slot, key, state.Identity, signer, issuer));
        }
    }

    /// <summary>Unwraps <c>70 L cert 71 01 00 FE 00</c>; null when it is missing or a certificate the card would refuse.</summary>
    private static X509Certificate2? ReadAttestationCertificate(byte[]? content)
    {
        if (content is null || !Tlv.TryParseAll(content, out var fields) || Tlv.Find(fields, 0x70) is not { } certificate
            || certificate.Value.Length > MaxCertificateLength)
        {
            return null;
        }

        try
        {
            var loaded = X509CertificateLoader.LoadCertificate(certificate.Value.Span);
            if (loaded.Version < 2 || loaded.SubjectName.RawData.Length > MaxSubjectLength)
            {
                loaded.Dispose();
                return null;
            }

            return loaded;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
