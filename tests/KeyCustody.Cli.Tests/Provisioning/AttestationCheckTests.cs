using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Contract.Attestation;
using Xunit;

namespace KeyCustody.Cli.Tests.Provisioning;

/// <summary>
/// The attestation check against a PKI shaped like Yubico's (root → card F9 certificate → per-key certificate with
/// Yubico's extensions), built here so a lying card can be modelled: another policy, another key, another root.
/// </summary>
public sealed class AttestationCheckTests : IDisposable
{
    private readonly ECDsa _rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _f9Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _f9;
    private readonly byte[] _publicKey = RandomNumberGenerator.GetBytes(32);

    public AttestationCheckTests()
    {
        _root = Ca("CN=Test PIV Root", _rootKey, null, null);
        _f9 = Ca("CN=YubiKey PIV Attestation", _f9Key, _root, _rootKey);
    }

    public void Dispose()
    {
        _root.Dispose();
        _f9.Dispose();
        _rootKey.Dispose();
        _f9Key.Dispose();
    }

    [Fact]
    public void An_honest_attestation_passes_and_says_what_it_attests()
    {
        var leaf = Leaf(_publicKey, pin: 3, touch: 2, serial: 12345678);
        var attested = Check(leaf, "always", "always", 12345678);
        Assert.Equal(_publicKey, attested.PublicKey);
        Assert.Equal(("always", "always"), (attested.PinPolicy, attested.TouchPolicy));
        Assert.Equal(12345678u, attested.Serial);
        Assert.Equal("5.7.1", attested.Firmware);
        Assert.Equal("CN=Test PIV Root", attested.RootSubject);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_root.RawData)), attested.RootSha256);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(leaf)), attested.CertificateSha256);
    }

    [Theory]
    [InlineData(3, 1, "always", "always", "the touch policy in the attestation is 'never', but 'always' was asked")]
    [InlineData(1, 2, "always", "always", "the PIN policy in the attestation is 'never', but 'always' was asked")]
    [InlineData(3, 3, "always", "always", "the touch policy in the attestation is 'cached', but 'always' was asked")]
    public void A_different_policy_stops_it(byte pin, byte touch, string askedPin, string askedTouch, string message)
    {
        var e = Assert.Throws<AttestationMismatchException>(() => Check(Leaf(_publicKey, pin, touch, 1), askedPin, askedTouch, 1));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Another_key_another_card_or_a_foreign_root_stops_it()
    {
        var other = Assert.Throws<AttestationMismatchException>(() => Check(Leaf(RandomNumberGenerator.GetBytes(32), 3, 2, 1), "always", "always", 1));
        Assert.Contains("certifies a different public key", other.Message, StringComparison.Ordinal);

        var card = Assert.Throws<AttestationMismatchException>(() => Check(Leaf(_publicKey, 3, 2, 99), "always", "always", 1));
        Assert.Contains("from the card with serial 99, not 1", card.Message, StringComparison.Ordinal);

        using var foreignKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var foreign = Ca("CN=Someone else's root", foreignKey, null, null);
        var root = Assert.Throws<AttestationMismatchException>(() =>
            AttestationCheck.Verify(Leaf(_publicKey, 3, 2, 1), [_f9.RawData], [foreign], [], _publicKey, "always", "always", 1));
        Assert.Contains("does not chain to a trusted root", root.Message, StringComparison.Ordinal);
    }

    private AttestedKey Check(byte[] leaf, string pin, string touch, uint serial) =>
        AttestationCheck.Verify(leaf, [_f9.RawData], [_root], [], _publicKey, pin, touch, serial);

    /// <summary>A per-key attestation certificate for an Ed25519 key, signed by the F9 key, with Yubico's extensions.</summary>
    private byte[] Leaf(byte[] ed25519, byte pin, byte touch, uint serial)
    {
        var spki = new PublicKey(new Oid("1.3.101.112"), null, new AsnEncodedData(ed25519));
        var request = new CertificateRequest(new X500DistinguishedName("CN=YubiKey PIV Attestation 9c"), spki, HashAlgorithmName.SHA256);
        var serialDer = new AsnWriter(AsnEncodingRules.DER);
        serialDer.WriteInteger(serial);
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.3.3", new byte[] { 5, 7, 1 }, false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.3.7", serialDer.Encode(), false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.41482.3.8", new[] { pin, touch }, false));
        using var cert = request.Create(_f9.SubjectName, X509SignatureGenerator.CreateForECDsa(_f9Key), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10), RandomNumberGenerator.GetBytes(8));
        return cert.RawData;
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
