using KeyCustody.Tokens.OpenPgp;
using KeyCustody.Tokens.OpenPgp.Apdu;
using KeyCustody.Tokens.OpenPgp.Data;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.OpenPgp;

/// <summary>The application related data of a real YubiKey 5.4.3, and of a Nitrokey 3 and a Gnuk as their sources answer.</summary>
public sealed class ApplicationDataTests
{
    [Fact]
    public void A_yubikey_543_as_it_answered()
    {
        var data = ApplicationData.Parse(Hex.Parse(YubiKey543Trace.ApplicationDataBlank));
        Assert.Equal(23852774u, data.Aid.Serial);
        Assert.Equal(0x23852774u, data.Aid.SerialBytes);
        Assert.Equal(new Version(3, 4), data.Aid.SpecVersion);
        Assert.Equal(OpenPgpAid.Yubico, data.Aid.Manufacturer);
        Assert.Equal("D2760001240103040006238527740000", data.Aid.Hex);
        Assert.Equal((3, 0, 3, 127), (data.PwStatus.Pw1Retries, data.PwStatus.ResetCodeRetries, data.PwStatus.Pw3Retries, data.PwStatus.Pw1MaxLength));
        Assert.False(data.PwStatus.Pw1ForOneSignature);
        Assert.Equal(3070, data.MaxCommandApdu);
        Assert.True(data.CanImportKeys);
        Assert.True(data.CanChangeAlgorithm);
        Assert.True(data.CanChangePw1Policy);
        Assert.Equal(0x0800, data.MaxCertificateLength);
        foreach (var slot in OpenPgpKeySlot.All)
        {
            Assert.False(data.HasKey(slot));
            Assert.Equal(KeyStatus.Absent, data.Status(slot));
            Assert.Equal("RSA 2048", data.Attributes(slot).Describe());
            Assert.False(data.Attributes(slot).IsEd25519);
            Assert.Equal(Uif.Off, data.Touch(slot));
            Assert.Equal((byte)0x20, data.TouchFeature(slot));
        }

        Assert.False(data.AttestationNeedsTouch);
    }

    [Fact]
    public void After_generating_ed25519_in_the_signature_slot()
    {
        var data = ApplicationData.Parse(Hex.Parse(YubiKey543Trace.ApplicationDataEd25519Sig));
        var sig = OpenPgpKeySlot.Signature;
        Assert.True(data.Attributes(sig).IsEd25519);
        Assert.Equal("Ed25519", data.Attributes(sig).Describe());
        Assert.True(data.HasKey(sig));
        Assert.Equal(KeyStatus.Generated, data.Status(sig));
        Assert.Equal("CA443FAA55282A2CA3AB28CE79840B67AD2760F4", Convert.ToHexString(data.Fingerprint(sig)));
        Assert.Equal(0x6563d4c4u, data.GenerationTime(sig));
        Assert.False(data.HasKey(OpenPgpKeySlot.Authentication));
    }

    [Fact]
    public void Yubikey_limits_come_from_its_extended_length_information()
    {
        var caps = CardCapabilities.From(ApplicationData.Parse(Hex.Parse(YubiKey543Trace.ApplicationDataBlank)));
        Assert.True(caps.Chaining);
        Assert.True(caps.ExtendedLength);
        Assert.Equal(LongCommands.Extended, caps.LongCommands);
        Assert.Equal(3061, caps.MaxMessageLength);
        Assert.Contains("3070", caps.LimitReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nitrokey_3_takes_1024_bytes_whatever_7F66_says()
    {
        var data = ApplicationData.Parse(CardData.Nitrokey3(0x1A2B3C4D));
        Assert.Equal(0x1DB9, data.MaxCommandApdu);
        Assert.Equal("Nitrokey", data.Aid.ManufacturerName);
        Assert.Equal(0x1A2B3C4Du, data.Aid.Serial); // hex letters: not BCD, read as an integer
        var caps = CardCapabilities.From(data);
        Assert.False(caps.Chaining);
        Assert.True(caps.ExtendedLength);
        Assert.Equal(LongCommands.Extended, caps.LongCommands);
        Assert.Equal(1024, caps.MaxMessageLength);
        Assert.Contains("Nitrokey 3", caps.LimitReason, StringComparison.Ordinal);
        Assert.True(data.Attributes(OpenPgpKeySlot.Signature).IsEd25519);
        Assert.Equal("ECDH Curve25519", new AlgorithmAttributes(Hex.Parse("122B060104019755010501")).Describe());
    }

    [Fact]
    public void A_gnuk_chains_and_takes_540_bytes()
    {
        var data = ApplicationData.Parse(CardData.Gnuk(0x7AF10C50));
        var caps = CardCapabilities.From(data);
        Assert.True(caps.Chaining);
        Assert.False(caps.ExtendedLength);
        Assert.Equal(LongCommands.Chained, caps.LongCommands);
        Assert.Equal(540, caps.MaxMessageLength);
        Assert.Null(data.Touch(OpenPgpKeySlot.Signature));
        Assert.True(data.PwStatus.Pw1ForOneSignature);
    }

    [Theory]
    [InlineData("010800001100", "RSA 2048")]
    [InlineData("011000001100", "RSA 4096")]
    [InlineData("132A8648CE3D030107", "ECDSA NIST P-256")]
    [InlineData("132B81040022", "ECDSA NIST P-384")]
    [InlineData("162B06010401DA470F01FF", "Ed25519")]
    public void Attributes_are_described_for_a_refusal(string hex, string described)
    {
        var attributes = new AlgorithmAttributes(Hex.Parse(hex));
        Assert.Equal(described, attributes.Describe());
        Assert.Equal(described == "Ed25519", attributes.IsEd25519);
    }

    [Theory]
    [InlineData("D2760001240103040006114093550000", 11409355u)]
    [InlineData("D2760001240103040006054395320000", 5439532u)]
    [InlineData("D276000124010304000FA1B2C3D40000", 0xA1B2C3D4u)]
    public void Serials_as_vendors_print_them(string aid, uint serial) => Assert.Equal(serial, OpenPgpAid.Parse(Hex.Parse(aid)).Serial);

    [Fact]
    public void Malformed_data_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => ApplicationData.Parse(Hex.Parse("6E 03 4F 01 00")));
        Assert.Throws<InvalidDataException>(() => ApplicationData.Parse(Hex.Parse("6E 05 4F 10 D2 76")));
        Assert.Throws<InvalidDataException>(() => OpenPgpAid.Parse(Hex.Parse("A0000003080000100001000000000000")));
    }
}
