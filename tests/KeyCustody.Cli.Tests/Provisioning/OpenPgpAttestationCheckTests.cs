using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Contract.Attestation;
using Xunit;

namespace KeyCustody.Cli.Tests.Provisioning;

/// <summary>
/// The attestation check on a YubiKey's OpenPGP statement (root → the card's attestation certificate, DO FC → the
/// statement in 7F21) with Yubico's OpenPGP extensions (arc 41482.5): generated on the card, serial, touch flag.
/// </summary>
public sealed class OpenPgpAttestationCheckTests : IDisposable
{
    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _cardKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _card;
    private readonly byte[] _publicKey = RandomNumberGenerator.GetBytes(32);

    public OpenPgpAttestationCheckTests()
    {
        _root = Ca("CN=Test OPGP Root", _rootKey, null, null);
        _card = Ca("CN=YubiKey OPGP Attestation", _cardKey, _root, _rootKey);
    }

    public void Dispose()
    {
        _root.Dispose();
        _card.Dispose();
        _rootKey.Dispose();
        _cardKey.Dispose();
    }

    [Fact]
    public void An_honest_statement_passes_without_a_pin_policy()
    {
        var attested = Check(Leaf(source: 1, uif: 0x01, serial: 23852774), "always", "always", 23852774);
        Assert.Equal(_publicKey, attested.PublicKey);
        Assert.Null(attested.PinPolicy);
        Assert.Equal("always", attested.TouchPolicy);
        Assert.Equal(23852774u, attested.Serial);
        Assert.Equal("5.4.3", attested.Firmware);
        Assert.Equal("CN=Test OPGP Root", attested.RootSubject);
        Assert.Equal("cached", Check(Leaf(1, 0x04, 7), "once", "cached", 7).TouchPolicy);
        Assert.Equal("never", Check(Leaf(1, 0x00, 7), "default", "never", 7).TouchPolicy);
    }

    [Fact]
    public void Imported_another_touch_or_another_card_stops_it()
    {
        Assert.Contains("imported", Assert.Throws<AttestationMismatchException>(() => Check(Leaf(0, 0x01, 7), "once", "always", 7)).Message, StringComparison.Ordinal);
        Assert.Contains("does not say the key was generated", Assert.Throws<AttestationMismatchException>(() => Check(Leaf(null, 0x01, 7), "once", "always", 7)).Message, StringComparison.Ordinal);
        Assert.Equal(
            "the touch policy in the attestation is 'never', but 'always' was asked",
            Assert.Throws<AttestationMismatchException>(() => Check(Leaf(1, 0x00, 7), "once", "always", 7)).Message);
        Assert.Contains("serial 8, not 7", Assert.Throws<AttestationMismatchException>(() => Check(Leaf(1, 0x01, 8), "once", "always", 7)).Message, StringComparison.Ordinal);
    }

    private AttestedKey Check(byte[] leaf, string pin, string touch, uint serial) =>
        AttestationCheck.Verify(leaf, [_card.RawData], [_root], [], _publicKey, pin, touch, serial);

    private byte[] Leaf(int? source, byte uif, uint serial)
    {
        var spki = new PublicKey(new Oid("1.3.101.112"), null, new AsnEncodedData(_publicKey));
        var request = new CertificateRequest(new X500DistinguishedName("CN=YubiKey OPGP Attestation SIG"), spki, HashAlgorithmName.SHA256);
        if (source is { } s)
        {
            request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.5.2", Integer(s), false));
        }

        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.5.3", new byte[] { 5, 4, 3 }, false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.5.7", Integer(serial), false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.5.8", new[] { uif }, false));
        using var cert = request.Create(_card.SubjectName, X509SignatureGenerator.CreateForECDsa(_cardKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10), RandomNumberGenerator.GetBytes(8));
        return cert.RawData;
    }

    private static byte[] Integer(long value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteInteger(value);
        return writer.Encode();
    }

    private static X509Certificate2 Ca(string subject, ECDsa key, X509Certificate2? issuer, ECDsa? issuerKey)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        if (issuer is null)
        {
            return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddYears(20));
        }

        using var cert = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey!), DateTimeOffset.UtcNow.AddDays(-5), DateTimeOffset.UtcNow.AddYears(15), RandomNumberGenerator.GetBytes(8));
        return X509CertificateLoader.LoadCertificate(cert.RawData);
    }
}
