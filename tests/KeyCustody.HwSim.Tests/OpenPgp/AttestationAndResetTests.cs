using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.OpenPgp;

/// <summary>GET ATTESTATION (80 FB) with the statement in 7F21 and the template in FC; TERMINATE/ACTIVATE.</summary>
public sealed class AttestationAndResetTests
{
    [Theory]
    [InlineData(KeyAlgorithm.EccP256)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    public void A_generated_signature_key_is_attested_into_7f21_and_chains_to_the_simulator_root(KeyAlgorithm attestationKey)
    {
        using var card = TestCards.Create(serial: 5550101, profile: CardProfile.YubiKey543, attestationKey: attestationKey);
        var host = new PgpHost(card.Connect());
        host.Select();
        host.VerifyAdmin();
        host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        var publicKey = host.Generate(0xB6);
        Assert.Equal(0x9000, host.PutData(0xC7, Enumerable.Range(1, 20).Select(b => (byte)b).ToArray()));
        Assert.Equal(0x9000, host.PutData(0xCE, [0x65, 0x63, 0xD4, 0xC4]));
        Assert.Equal(0x9000, host.PutData(0x5B, "Doe<<Jane"u8.ToArray()));
        Assert.Equal(0x9000, host.PutData(0xD6, [0x03, 0x20]));

        host.Expect("80 FB 01 00", "69 82");
        host.VerifyUser(0x81);
        host.Expect("00 FB 01 00", "6E 00");
        host.Expect("80 FB 01 00", "90 00");

        host.Expect("00 A5 02 04 07 06 60 04 5C 02 7F 21 00", "90 00");
        using var statement = X509CertificateLoader.LoadCertificate(host.GetData(0x7F21));
        using var template = X509CertificateLoader.LoadCertificate(host.GetData(0xFC));
        Assert.Equal("CN=YubiKey OPGP Attestation SIG", statement.Subject);
        Assert.Equal($"CN=KeyCustody hw-sim OPGP Attestation 5550101", template.Subject);
        Assert.Equal(template.Subject, statement.Issuer);
        Assert.Equal(template.NotAfter, statement.NotAfter);
        Assert.Equal(publicKey, statement.PublicKey.EncodedKeyValue.RawData);
        Assert.Equal("1.3.101.112", statement.PublicKey.Oid.Value);

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TestCards.Root.Certificate);
        chain.ChainPolicy.ExtraStore.Add(template);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(statement), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        string Extension(int n) => Convert.ToHexString(statement.Extensions["1.3.6.1.4.1.41482.5." + n]!.RawData);
        Assert.Equal("Doe<<Jane", new AsnReader(statement.Extensions["1.3.6.1.4.1.41482.5.1"]!.RawData, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String));
        Assert.Equal("020101", Extension(2));
        Assert.Equal("050403", Extension(3));
        Assert.Equal("0102030405060708090A0B0C0D0E0F1011121314", Extension(4));
        Assert.Equal("6563D4C4", Extension(5));
        Assert.Equal("020100", Extension(6));
        Assert.Equal("020354B015", Extension(7));
        Assert.Equal("03", Extension(8));
        Assert.Equal("01", Extension(9));
    }

    [Fact]
    public void Imported_or_absent_keys_are_not_attested_and_a_nitrokey_has_no_attestation()
    {
        using var card = TestCards.Create(profile: CardProfile.YubiKey543);
        var host = new PgpHost(card.Connect());
        host.Select();
        host.VerifyAdmin();
        host.VerifyUser(0x81);
        host.Expect("80 FB 03 00", "6A 88");
        host.SetAttributes(0xC3, PgpTemplates.Ed25519);
        Assert.Equal(0x9000, host.Exchange(0xDB, 0x3F, 0xFF, PgpTemplates.Ecc(0xA4, new byte[32])).Sw);
        host.Expect("80 FB 03 00", "69 85");
        host.Expect("80 FB 04 00", "6B 00");

        using var nitrokey = TestCards.Create(profile: CardProfile.Nitrokey3);
        var other = new PgpHost(nitrokey.Connect());
        other.Select();
        other.Expect("80 FB 01 00", "6E 00");
        other.Expect("00 FB 01 00", "6D 00");
    }

    [Fact]
    public void Select_data_takes_the_standard_form_on_5_7_and_the_length_byte_form_on_5_4_3()
    {
        using var older = TestCards.Create(profile: CardProfile.YubiKey543);
        var host = new PgpHost(older.Connect());
        host.Select();
        host.Expect("00 A5 01 04 06 60 04 5C 02 7F 21", "6A 80");
        host.Expect("00 A5 01 04 07 06 60 04 5C 02 7F 21", "90 00");

        using var newer = TestCards.Create();
        host = new PgpHost(newer.Connect());
        host.Select();
        host.Expect("00 A5 01 04 07 06 60 04 5C 02 7F 21", "6A 80");
        host.Expect("00 A5 01 04 06 60 04 5C 02 7F 21", "90 00");
        host.VerifyAdmin();
        Assert.Equal(0x9000, host.PutData(0x7F21, [0x30, 0x00]));
        host.Expect("00 A5 00 04 06 60 04 5C 02 7F 21", "90 00");
        host.Expect("00 CA 7F 21 00", "90 00");
        host.Expect("00 CC 7F 21 00", "30 00 90 00");
        host.Expect("00 CC 7F 21 00", "90 00");
        host.Expect("00 CC 7F 21 00", "6A 80");
    }

    [Fact]
    public void Terminate_needs_the_admin_pin_and_activate_returns_the_applet_to_the_factory_keeping_attestation()
    {
        using var card = TestCards.Create(profile: CardProfile.YubiKey543);
        var host = new PgpHost(card.Connect());
        host.Select();
        var attestationCertificate = host.GetData(0xFC);
        host.Expect("00 E6 00 00", "69 82");
        host.VerifyAdmin();
        host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        host.Generate(0xB6);
        Assert.Equal(0x9000, host.PutData(0xD3, "resetcode"u8.ToArray()));
        Assert.Equal(0x9000, host.Exchange(0x24, 0x00, 0x81, "123456654321"u8.ToArray()).Sw);
        host.Expect("00 E6 00 00", "90 00");
        host.Expect("00 CA 00 6E 00", "69 85");
        host.Expect("00 A4 04 00 06 D2 76 00 01 24 01", "62 85");
        host.Expect("00 44 00 00", "90 00");
        host.Select();
        Assert.Equal("01 7F 7F 7F 03 00 03", Hex.Format(host.GetData(0xC4)));
        Assert.Equal("01 00 02 00 03 00 81 02", Hex.Format(host.GetData(0xDE)));
        Assert.Equal("01 08 00 00 11 00", Hex.Format(host.GetData(0xC1)));
        Assert.Equal(attestationCertificate, host.GetData(0xFC));
        host.VerifyUser();
        host.Expect("00 44 00 00", "90 00");
    }

    [Fact]
    public void A_blocked_admin_pin_still_allows_terminate_and_a_nitrokey_refuses_with_6985()
    {
        using var card = TestCards.Create(profile: CardProfile.Nitrokey3);
        var host = new PgpHost(card.Connect());
        host.Select();
        host.Expect("00 E6 00 00", "69 85");
        for (int i = 0; i < 3; i++)
        {
            host.Verify(0x83, "00000000");
        }

        host.Expect("00 E6 00 00", "90 00");
        host.Expect("00 44 00 00", "90 00");
        host.Select();
        host.VerifyAdmin();
    }
}
