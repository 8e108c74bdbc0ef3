using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Crypto;

/// <summary>Builds the X.509 attestation statement (INS F9) for a generated key, signed by the F9 key (RSA or EC).</summary>
internal static class AttestationStatement
{
    public const string FirmwareOid = "1.3.6.1.4.1.41482.3.3";
    public const string SerialOid = "1.3.6.1.4.1.41482.3.7";
    public const string PolicyOid = "1.3.6.1.4.1.41482.3.8";
    public const string FormFactorOid = "1.3.6.1.4.1.41482.3.9";

    public static byte[] Issue(
        byte slot,
        SlotKey key,
        CardIdentity identity,
        CertificateSigner attestationKey,
        X509Certificate2 attestationCertificate)
    {
        var subject = new X500DistinguishedName($"CN=YubiKey PIV Attestation {slot:x2}");
        var request = new CertificateRequest(subject, key.ToX509PublicKey(), attestationKey.Hash);
        var extensions = request.CertificateExtensions;
        extensions.Add(new X509Extension(FirmwareOid, identity.Firmware, false));
        var serial = new AsnWriter(AsnEncodingRules.DER);
        serial.WriteInteger(identity.Serial);
        extensions.Add(new X509Extension(SerialOid, serial.Encode(), false));
        extensions.Add(new X509Extension(PolicyOid, new[] { (byte)key.PinPolicy, (byte)key.TouchPolicy }, false));
        extensions.Add(new X509Extension(FormFactorOid, new[] { identity.FormFactor }, false));

        var serialNumber = RandomNumberGenerator.GetBytes(16);
        serialNumber[0] &= 0x7F;
        using var certificate = request.Create(
            attestationCertificate.SubjectName,
            attestationKey.Generator,
            new DateTimeOffset(attestationCertificate.NotBefore.ToUniversalTime()),
            new DateTimeOffset(attestationCertificate.NotAfter.ToUniversalTime()),
            serialNumber);
        return certificate.RawData;
    }
}
