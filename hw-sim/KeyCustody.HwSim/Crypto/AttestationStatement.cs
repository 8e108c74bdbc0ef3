using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Crypto;

/// <summary>Builds the X.509 attestation statement (INS F9) for a generated key, signed by the F9 key.</summary>
internal static class AttestationStatement
{
    public const string FirmwareOid = "1.3.6.1.4.1.41482.3.3";
    public const string SerialOid = "1.3.6.1.4.1.41482.3.7";
    public const string PolicyOid = "1.3.6.1.4.1.41482.3.8";
    public const string FormFactorOid = "1.3.6.1.4.1.41482.3.9";

    public static byte[] Issue(
        byte slot,
        SlotKey key,
        PinPolicy pinPolicy,
        TouchPolicy touchPolicy,
        CardIdentity identity,
        P256SlotKey attestationKey,
        X509Certificate2 attestationCertificate)
    {
        var subject = new X500DistinguishedName($"CN=YubiKey PIV Attestation {slot:x2}");
        using var request = new RequestHolder(subject, key);
        var extensions = request.Request.CertificateExtensions;
        extensions.Add(new X509Extension(FirmwareOid, identity.Firmware, false));
        var serial = new AsnWriter(AsnEncodingRules.DER);
        serial.WriteInteger(identity.Serial);
        extensions.Add(new X509Extension(SerialOid, serial.Encode(), false));
        extensions.Add(new X509Extension(PolicyOid, new[] { (byte)pinPolicy, (byte)touchPolicy }, false));
        extensions.Add(new X509Extension(FormFactorOid, new[] { identity.FormFactor }, false));

        using var signer = attestationKey.CreateEcdsa();
        var generator = X509SignatureGenerator.CreateForECDsa(signer);
        var serialNumber = RandomNumberGenerator.GetBytes(16);
        serialNumber[0] &= 0x7F;
        using var certificate = request.Request.Create(
            attestationCertificate.SubjectName,
            generator,
            new DateTimeOffset(attestationCertificate.NotBefore.ToUniversalTime()),
            new DateTimeOffset(attestationCertificate.NotAfter.ToUniversalTime()),
            serialNumber);
        return certificate.RawData;
    }

    /// <summary>The subject public key as X.509 needs it; Ed25519/X25519 are built by OID since .NET has no key type.</summary>
    private sealed class RequestHolder : IDisposable
    {
        private readonly ECDsa? _ecdsa;

        public RequestHolder(X500DistinguishedName subject, SlotKey key)
        {
            switch (key.Algorithm)
            {
                case KeyAlgorithm.EccP256:
                    _ecdsa = ECDsa.Create(new ECParameters
                    {
                        Curve = ECCurve.NamedCurves.nistP256,
                        Q = new ECPoint { X = key.PublicKey[1..33], Y = key.PublicKey[33..] },
                    });
                    Request = new CertificateRequest(subject, _ecdsa, HashAlgorithmName.SHA256);
                    break;
                default:
                    var oid = key.Algorithm == KeyAlgorithm.Ed25519 ? "1.3.101.112" : "1.3.101.110";
                    var publicKey = new PublicKey(new Oid(oid), null, new AsnEncodedData(key.PublicKey));
                    Request = new CertificateRequest(subject, publicKey, HashAlgorithmName.SHA256);
                    break;
            }
        }

        public CertificateRequest Request { get; }

        public void Dispose() => _ecdsa?.Dispose();
    }
}
