using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Applet;

/// <summary>ATTEST (F9): a DER certificate for a key generated on the card, signed by the F9 attestation key.</summary>
internal static class AttestCommand
{
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
            || state.KeyIn(PivSlots.Attestation) is not P256SlotKey attestationKey
            || ReadAttestationCertificate(state.ObjectValue(DataObjectIds.AttestationCertificate)) is not { } issuer)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        using (issuer)
        {
            return Response.Ok(AttestationStatement.Issue(slot, key, key.PinPolicy, key.TouchPolicy, state.Identity, attestationKey, issuer));
        }
    }

    /// <summary>Unwraps <c>70 L cert 71 01 00 FE 00</c>.</summary>
    private static X509Certificate2? ReadAttestationCertificate(byte[]? content)
    {
        if (content is null || !Tlv.TryParseAll(content, out var fields) || Tlv.Find(fields, 0x70) is not { } certificate)
        {
            return null;
        }

        try
        {
            return X509CertificateLoader.LoadCertificate(certificate.Value.Span);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
