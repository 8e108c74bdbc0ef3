using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.State;

namespace KeyCustody.HwSim.OpenPgp.Keys;

/// <summary>
/// The attestation statement GET ATTESTATION writes (Yubico's PGP/Attestation.adoc): a certificate for the attested key,
/// issued in the name of the DO FC certificate's subject with its dates, signed by the ATT key (ECDSA or PKCS#1 v1.5, both
/// with SHA-256), a random 16-byte serial, subject "YubiKey OPGP Attestation SIG|DEC|AUT", and the extensions of the
/// 1.3.6.1.4.1.41482.5 arc. Encodings: integers and the name as DER (INTEGER, UTF8String), octet-string fields as their raw
/// bytes as in the PIV arc (.3.3); the exact encoding of a real statement is unverified.
/// </summary>
internal static class PgpAttestation
{
    public const string Arc = "1.3.6.1.4.1.41482.5.";

    public static byte[] Issue(PgpKey key, CardState state, CertificateSigner signer, X509Certificate2 template)
    {
        var openPgp = state.OpenPgp;
        var slot = openPgp.Slot(key);
        var attested = slot.Key!;
        var name = key switch { PgpKey.Signature => "SIG", PgpKey.Decryption => "DEC", _ => "AUT" };
        var request = new CertificateRequest(
            new X500DistinguishedName($"CN=YubiKey OPGP Attestation {name}"), attested.ToX509PublicKey(), HashAlgorithmName.SHA256);
        var extensions = request.CertificateExtensions;
        extensions.Add(new X509Extension(Arc + "1", Utf8(openPgp.Name), false));
        extensions.Add(new X509Extension(Arc + "2", Integer(attested.Origin == KeyOrigin.Generated ? 1 : 0), false));
        extensions.Add(new X509Extension(Arc + "3", state.Identity.Firmware, false));
        extensions.Add(new X509Extension(Arc + "4", slot.Fingerprint, false));
        extensions.Add(new X509Extension(Arc + "5", slot.GenerationTime, false));
        if (key == PgpKey.Signature)
        {
            extensions.Add(new X509Extension(Arc + "6", Integer(openPgp.SignatureCounter), false));
        }

        extensions.Add(new X509Extension(Arc + "7", Integer(state.Identity.Serial), false));
        extensions.Add(new X509Extension(Arc + "8", new[] { slot.Uif }, false));
        extensions.Add(new X509Extension(Arc + "9", new[] { state.Identity.FormFactor }, false));

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(
            template.SubjectName,
            signer.Generator,
            new DateTimeOffset(template.NotBefore.ToUniversalTime()),
            new DateTimeOffset(template.NotAfter.ToUniversalTime()),
            serial);
        return certificate.RawData;
    }

    private static byte[] Integer(long value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteInteger(value);
        return writer.Encode();
    }

    private static byte[] Utf8(byte[] name)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, System.Text.Encoding.UTF8.GetString(name));
        return writer.Encode();
    }
}
