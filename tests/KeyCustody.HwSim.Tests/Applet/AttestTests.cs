using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class AttestTests : CardTest
{
    [Fact]
    public void Ed25519_attestation_chains_to_the_simulator_root_and_carries_yubico_extensions()
    {
        var publicKey = Generate(0x9C, 0xE0, pin: 0x03, touch: 0x02);
        var (der, sw) = Host.Exchange(0xF9, 0x9C, 0x00, []);
        Assert.Equal(0x9000, sw);
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal("CN=YubiKey PIV Attestation 9c", certificate.Subject);
        Assert.Equal("1.3.101.112", certificate.PublicKey.Oid.Value);
        Assert.Equal(publicKey, certificate.PublicKey.EncodedKeyValue.RawData);

        using var intermediate = ReadAttestationCertificate();
        Assert.Equal(intermediate.Subject, certificate.Issuer);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TestCards.Root.Certificate);
        chain.ChainPolicy.ExtraStore.Add(intermediate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(3, chain.ChainElements.Count);

        Assert.Equal("05 07 01", Hex.Format(Extension(certificate, "1.3.6.1.4.1.41482.3.3")));
        var serial = new AsnReader(Extension(certificate, "1.3.6.1.4.1.41482.3.7"), AsnEncodingRules.DER).ReadInteger();
        Assert.Equal(11409355, (int)serial);
        Assert.Equal("03 02", Hex.Format(Extension(certificate, "1.3.6.1.4.1.41482.3.8")));
        Assert.Equal("01", Hex.Format(Extension(certificate, "1.3.6.1.4.1.41482.3.9")));
    }

    [Fact]
    public void Attestation_is_returned_with_response_chaining()
    {
        Generate(0x9A, 0x11);
        Host.Log.Clear();
        var (der, sw) = Host.Exchange(0xF9, 0x9A, 0x00, []);
        Assert.Equal(0x9000, sw);
        Assert.True(der.Length > 256);
        Assert.Equal($"61 {der.Length - 256:X2}", Host.Log[0].Response[^5..]);
        Assert.Equal(258, Hex.Parse(Host.Log[0].Response).Length);
        Assert.Equal($"00 C0 00 00 {der.Length - 256:X2}", Host.Log[1].Command);
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        Assert.Equal("02 01", Hex.Format(Extension(certificate, "1.3.6.1.4.1.41482.3.8")));
        Assert.Equal("1.2.840.10045.2.1", certificate.PublicKey.Oid.Value);
    }

    [Theory]
    [InlineData("00 F9 9D 00")]
    [InlineData("00 F9 F9 00")]
    [InlineData("00 F9 9B 00")]
    public void Attesting_an_empty_slot_or_a_non_key_slot_is_6a80(string command) => Host.Expect(command, "6A 80");

    [Fact]
    public void Attesting_an_imported_key_is_6a80()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect("00 FE E0 9A 22 07 20 " + Hex.Format(new byte[32].Select((_, i) => (byte)i).ToArray()), "90 00");
        Host.Expect("00 F9 9A 00", "6A 80");
    }

    private X509Certificate2 ReadAttestationCertificate()
    {
        var (data, sw) = Host.Exchange(0xCB, 0x3F, 0xFF, Hex.Parse("5C 03 5F FF 01"));
        Assert.Equal(0x9000, sw);
        var (tag, content) = SimpleTlv.Read(data);
        Assert.Equal(0x53, tag);
        var (certTag, der) = SimpleTlv.Read(content);
        Assert.Equal(0x70, certTag);
        return X509CertificateLoader.LoadCertificate(der);
    }

    private static byte[] Extension(X509Certificate2 certificate, string oid) =>
        certificate.Extensions.Cast<X509Extension>().Single(e => e.Oid!.Value == oid).RawData;
}
