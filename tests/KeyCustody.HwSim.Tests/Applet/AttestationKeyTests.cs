using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

/// <summary>The attestation slot F9: replacing its key (import or generate) and certificate, as an owner may on a YubiKey.</summary>
public sealed class AttestationKeyTests : CardTest
{
    [Theory]
    [InlineData(0x07)]
    [InlineData(0x14)]
    public void An_imported_key_and_certificate_issue_the_statements_that_chain_to_the_owners_ca(byte algorithm)
    {
        using var ownerCa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var caCertificate = OwnerCa(ownerCa);
        using var attestationKey = algorithm == 0x07 ? (AsymmetricAlgorithm)RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Equal(0x9000, Host.Authenticate());
        Assert.Equal(0x9000, Host.Exchange(0xFE, algorithm, 0xF9, ImportTemplate(attestationKey)).Sw);
        using var f9Certificate = IssueF9Certificate(attestationKey, ownerCa, caCertificate, version3: true);
        Assert.Equal(0x9000, PutAttestationCertificate(f9Certificate.RawData));
        Assert.StartsWith($"01 01 {algorithm:X2} 02 02 01 01 03 01 02", Host.Send("00 F7 00 F9"));

        Generate(0x9A, 0x11);
        var (der, sw) = Host.Exchange(0xF9, 0x9A, 0x00, []);
        Assert.Equal(0x9000, sw);
        using var statement = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal("CN=Owner attestation", statement.Issuer);
        Assert.Equal(algorithm == 0x07 ? "1.2.840.113549.1.1.11" : "1.2.840.10045.4.3.3", statement.SignatureAlgorithm.Value);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(caCertificate);
        chain.ChainPolicy.ExtraStore.Add(f9Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(statement), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public void A_version_1_attestation_certificate_makes_attest_fail()
    {
        using var ownerCa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var attestationKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(0x9000, Host.Authenticate());
        Assert.Equal(0x9000, Host.Exchange(0xFE, 0x11, 0xF9, ImportTemplate(attestationKey)).Sw);
        Assert.Equal(0x9000, PutAttestationCertificate(IssueVersion1(attestationKey, ownerCa)));
        Generate(0x9A, 0x11);
        Host.Expect("00 F9 9A 00", "6A 80");
    }

    [Fact]
    public void Generating_in_f9_returns_the_new_public_key_and_ed25519_x25519_rsa1024_are_refused_there()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        var response = Host.SendRaw(Hex.Parse("00 47 00 F9 05 AC 03 80 01 11"));
        Assert.Equal(0x9000, PivHost.Sw(response));
        Assert.StartsWith("01 01 11 02 02 01 01 03 01 01 04 43 86 41 " + Hex.Format(response[5..70]), Host.Send("00 F7 00 F9"));
        foreach (var algorithm in new[] { "E0", "E1", "06" })
        {
            Host.Expect($"00 47 00 F9 05 AC 03 80 01 {algorithm}", "6A 80");
        }

        Host.Expect("00 FE E0 F9 22 07 20 " + Hex.Format(new byte[32]), "6A 80");
    }

    [Fact]
    public void The_f9_key_signs_attestations_only_never_data_sent_to_it()
    {
        Host.VerifyPin();
        Assert.Equal(0x6A80, Sign(0x11, 0xF9, SHA256.HashData("data"u8)).Sw);
    }

    [Fact]
    public void A_factory_rsa_2048_attestation_key_as_on_firmware_5_7_chains_to_the_root()
    {
        using var card = VirtualCard.Create(new CardOptions(TestCards.Root) { AttestationKeyAlgorithm = KeyAlgorithm.Rsa2048 });
        var host = new PivHost(card.Connect());
        host.Select();
        Assert.StartsWith("01 01 07 02 02 01 01 03 01 02 04 82 01 09 81 82 01 00", host.Send("00 F7 00 F9"));
        Assert.Equal(0x9000, host.Authenticate());
        Assert.Equal(0x9000, host.Exchange(0x47, 0x00, 0x9C, Hex.Parse("AC 03 80 01 E0")).Sw);
        var (der, sw) = host.Exchange(0xF9, 0x9C, 0x00, []);
        Assert.Equal(0x9000, sw);
        using var statement = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal("1.2.840.113549.1.1.11", statement.SignatureAlgorithm.Value);
        var f9 = SimpleTlv.Read(card.State.ObjectValue(DataObjectIds.AttestationCertificate)!).Value;
        using var intermediate = X509CertificateLoader.LoadCertificate(f9);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TestCards.Root.Certificate);
        chain.ChainPolicy.ExtraStore.Add(intermediate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(statement), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    private static X509Certificate2 OwnerCa(ECDsa key)
    {
        var request = new CertificateRequest("CN=Owner PIV CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
    }

    private ushort PutAttestationCertificate(byte[] der)
    {
        var content = new List<byte> { 0x70 };
        content.AddRange(Length(der.Length));
        content.AddRange(der);
        content.AddRange(Hex.Parse("71 01 00 FE 00"));
        var body = new List<byte>(Hex.Parse("5C 03 5F FF 01 53"));
        body.AddRange(Length(content.Count));
        body.AddRange(content);
        return Host.Exchange(0xDB, 0x3F, 0xFF, [.. body]).Sw;
    }

    private static X509Certificate2 IssueF9Certificate(AsymmetricAlgorithm key, ECDsa issuerKey, X509Certificate2 issuer, bool version3)
    {
        var request = key is RSA rsa
            ? new CertificateRequest("CN=Owner attestation", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest("CN=Owner attestation", (ECDsa)key, HashAlgorithmName.SHA256);
        if (version3)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        }

        return request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), [0x01, 0x02]);
    }

    /// <summary>A version 1 certificate (no version field, no extensions), built by hand: .NET only writes version 3.</summary>
    private static byte[] IssueVersion1(ECDsa key, ECDsa issuerKey)
    {
        var algorithm = new AsnWriter(AsnEncodingRules.DER);
        using (algorithm.PushSequence())
        {
            algorithm.WriteObjectIdentifier("1.2.840.10045.4.3.2");
        }

        var tbs = new AsnWriter(AsnEncodingRules.DER);
        using (tbs.PushSequence())
        {
            tbs.WriteInteger(3);
            tbs.WriteEncodedValue(algorithm.Encode());
            tbs.WriteEncodedValue(new X500DistinguishedName("CN=Owner PIV CA").RawData);
            using (tbs.PushSequence())
            {
                tbs.WriteUtcTime(DateTimeOffset.UtcNow.AddDays(-1));
                tbs.WriteUtcTime(DateTimeOffset.UtcNow.AddYears(1));
            }

            tbs.WriteEncodedValue(new X500DistinguishedName("CN=Owner attestation").RawData);
            tbs.WriteEncodedValue(key.ExportSubjectPublicKeyInfo());
        }

        var toBeSigned = tbs.Encode();
        var certificate = new AsnWriter(AsnEncodingRules.DER);
        using (certificate.PushSequence())
        {
            certificate.WriteEncodedValue(toBeSigned);
            certificate.WriteEncodedValue(algorithm.Encode());
            certificate.WriteBitString(issuerKey.SignData(toBeSigned, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        }

        var der = certificate.Encode();
        using var parsed = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal(1, parsed.Version);
        return der;
    }

    private static byte[] ImportTemplate(AsymmetricAlgorithm key)
    {
        var body = new List<byte>();
        void Add(byte tag, byte[] value)
        {
            body.Add(tag);
            body.AddRange(Length(value.Length));
            body.AddRange(value);
        }

        if (key is RSA rsa)
        {
            var p = rsa.ExportParameters(true);
            Add(0x01, p.P!);
            Add(0x02, p.Q!);
            Add(0x03, p.DP!);
            Add(0x04, p.DQ!);
            Add(0x05, p.InverseQ!);
        }
        else
        {
            Add(0x06, ((ECDsa)key).ExportParameters(true).D!);
        }

        return [.. body];
    }
}
