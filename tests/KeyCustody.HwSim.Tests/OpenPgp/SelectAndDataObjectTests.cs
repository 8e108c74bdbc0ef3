using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.OpenPgp;

/// <summary>SELECT, the AID and the readable DOs, byte for byte against a YubiKey 5.4.3 trace where there is one.</summary>
public sealed class SelectAndDataObjectTests : IDisposable
{
    private VirtualCard _card = TestCards.Create(serial: YubiKey543Trace.Serial, profile: CardProfile.YubiKey543, attestationKey: KeyAlgorithm.Rsa2048);
    private PgpHost _host;

    public SelectAndDataObjectTests()
    {
        _host = new PgpHost(_card.Connect());
    }

    [Theory]
    [InlineData("00 A4 04 00 06 D2 76 00 01 24 01")]
    [InlineData("00 A4 04 00 06 D2 76 00 01 24 01 00")]
    [InlineData("00 A4 04 00 08 D2 76 00 01 24 01 03 04")]
    [InlineData("00 A4 04 00 10 D2 76 00 01 24 01 03 04 00 06 23 85 27 74 00 00")]
    public void Select_takes_the_application_and_any_longer_prefix_of_the_aid_and_answers_9000_without_data(string select) =>
        _host.Expect(select, "90 00");

    [Theory]
    [InlineData("00 A4 04 00 05 D2 76 00 01 24")]
    [InlineData("00 A4 04 00 10 D2 76 00 01 24 01 03 04 00 06 23 85 27 75 00 00")]
    public void Select_of_a_shorter_or_another_cards_aid_is_not_found(string select) => _host.Expect(select, "6A 82");

    [Fact]
    public void The_aid_carries_the_serial_as_bcd_on_a_yubikey_and_binary_on_a_nitrokey()
    {
        _host.Select();
        Assert.Equal("D2 76 00 01 24 01 03 04 00 06 23 85 27 74 00 00", Hex.Format(_host.GetData(0x4F)));

        UseCard(TestCards.Create(serial: 0x12345678, profile: CardProfile.Nitrokey3));
        _host.Select();
        Assert.Equal("D2 76 00 01 24 01 03 04 00 0F 12 34 56 78 00 00", Hex.Format(_host.GetData(0x4F)));
    }

    [Fact]
    public void Application_related_data_equals_the_yubikey_5_4_3_trace()
    {
        _host.Select();
        SetTraceAttestationKeyData();
        var (data, sw) = _host.ExchangeExtended(0xCA, 0x00, 0x6E, [], 0x0BFE);
        Assert.Equal(0x9000, sw);
        Assert.Equal(YubiKey543Trace.FactoryApplicationRelated, Convert.ToHexStringLower(data));
    }

    [Fact]
    public void After_an_ed25519_generation_the_application_related_data_equals_the_trace()
    {
        _host.Select();
        SetTraceAttestationKeyData();
        _host.SetAttributes(0xC1, "16 2B 06 01 04 01 DA 47 0F 01");
        var (generated, sw) = _host.Exchange(0x47, 0x80, 0x00, Hex.Parse("B6 03 84 01 01"));
        Assert.Equal(0x9000, sw);
        Assert.Equal("7F 49 22 86 20", Hex.Format(generated[..5]));
        Assert.Equal(0x9000, _host.PutData(0xCE, Convert.FromHexString(YubiKey543Trace.GeneratedTime)));
        Assert.Equal(0x9000, _host.PutData(0xC7, Convert.FromHexString(YubiKey543Trace.GeneratedFingerprint)));
        var (data, _) = _host.ExchangeExtended(0xCA, 0x00, 0x6E, [], 0x0BFE);
        Assert.Equal(YubiKey543Trace.AfterEd25519Generation, Convert.ToHexStringLower(data));
    }

    [Fact]
    public void Cardholder_security_support_and_kdf_dos_equal_the_trace()
    {
        _host.Select();
        Assert.Equal("65 09 5B 00 5F 2D 00 5F 35 01 39", Hex.Format(_host.GetData(0x65)));
        Assert.Equal("7A 05 93 03 00 00 00", Hex.Format(_host.GetData(0x7A)));
        Assert.Equal("81 01 00", Hex.Format(_host.GetData(0xF9)));
        Assert.Equal("01 7F 7F 7F 03 00 03", Hex.Format(_host.GetData(0xC4)));
        Assert.Equal("00 73 00 00 E0 05 90 00", Hex.Format(_host.GetData(0x5F52)));
        Assert.Equal("81 01 20", Hex.Format(_host.GetData(0x7F74)));
    }

    [Fact]
    public void A_short_le_gets_256_bytes_then_61_xx_and_an_extended_le_the_whole_do_at_once()
    {
        _host.Select();
        var first = _host.SendRaw(Hex.Parse("00 CA 00 6E 00"));
        Assert.Equal(258, first.Length);
        Assert.Equal("61 3B", Hex.Format(first[^2..]));
        var rest = _host.SendRaw(Hex.Parse("00 C0 00 00"));
        Assert.Equal(0x3B + 2, rest.Length);
        Assert.Equal("90 00", Hex.Format(rest[^2..]));

        var whole = _host.SendRaw(Hex.Parse("00 CA 00 6E 00 0B FE"));
        Assert.Equal(0x13B + 2, whole.Length);
        Assert.Equal([.. first[..^2], .. rest[..^2], 0x90, 0x00], whole);
    }

    [Fact]
    public void Algorithm_information_lists_exactly_what_each_key_takes()
    {
        _host.Select();
        var fa = _host.GetData(0xFA);
        var entries = Entries(SimpleTlv.Read(fa).Value);
        Assert.Contains((0xC1, "16 2B 06 01 04 01 DA 47 0F 01"), entries);
        Assert.Contains((0xC3, "16 2B 06 01 04 01 DA 47 0F 01"), entries);
        Assert.Contains((0xC2, "12 2B 06 01 04 01 97 55 01 05 01"), entries);
        Assert.Contains((0xC1, "01 08 00 00 11 00"), entries);
        Assert.Contains((0xDA, "13 2A 86 48 CE 3D 03 01 07"), entries);
        Assert.DoesNotContain(entries, e => e.Tag == 0xC2 && e.Value.StartsWith("16", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Tag == 0xDA && e.Value.Contains("DA 47", StringComparison.Ordinal));

        // Every advertised algorithm is accepted by PUT DATA.
        _host.VerifyAdmin();
        foreach (var (tag, value) in entries)
        {
            Assert.Equal(0x9000, _host.PutData(tag, Hex.Parse(value)));
        }
    }

    [Fact]
    public void A_nitrokey_3_answers_with_its_own_layout_and_ecc_attributes_end_in_ff()
    {
        UseCard(TestCards.Create(serial: 0x0A0B0C0D, profile: CardProfile.Nitrokey3));
        _host.Select();
        var related = Hex.Format(_host.GetData(0x6E));
        Assert.Contains("5F 52 0A 00 31 F5 73 C0 01 60 05 90 00 7F 66 08 02 02 1D B9 02 02 1D B9 7F 74 03 81 01 20", related);
        Assert.Contains("C0 0A 3F 00 10 00 10 00 10 00 00 01", related);
        Assert.Contains("C4 07 00 7F 7F 7F 03 00 03", related);
        Assert.Contains("DE 06 01 00 02 00 03 00 D6 02 00 20 D7 02 00 20 D8 02 00 20", related);
        Assert.DoesNotContain("DA ", related.Replace("DA 47", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal("01 08 00 00 20 00", Hex.Format(_host.GetData(0xC1)));
        _host.VerifyAdmin();
        _host.SetAttributes(0xC1, "16 2B 06 01 04 01 DA 47 0F 01");
        Assert.Equal("16 2B 06 01 04 01 DA 47 0F 01 FF", Hex.Format(_host.GetData(0xC1)));
        _host.Expect("00 CA 00 FC 00", "6A 88");
        _host.Expect("00 F1 00 00 00", "6D 00");
    }

    [Fact]
    public void Private_dos_follow_their_access_conditions()
    {
        _host.Select();
        _host.Expect("00 CA 01 03 00", "69 82");
        _host.Expect("00 CA 01 04 00", "69 82");
        Assert.Equal(0x6982, _host.PutData(0x0101, [1, 2, 3]));
        _host.VerifyUser(0x82);
        Assert.Equal(0x9000, _host.PutData(0x0101, [1, 2, 3]));
        Assert.Equal(0x9000, _host.PutData(0x0103, [4]));
        Assert.Equal("04", Hex.Format(_host.GetData(0x0103)));
        Assert.Equal(0x6982, _host.PutData(0x0102, [5]));
        _host.VerifyAdmin();
        Assert.Equal(0x9000, _host.PutData(0x0104, [6]));
        Assert.Equal("06", Hex.Format(_host.GetData(0x0104)));
        Assert.Equal("01 02 03", Hex.Format(_host.GetData(0x0101)));
        Assert.Equal(0x6700, _host.PutData(0x0102, new byte[256]));
    }

    [Fact]
    public void Cardholder_dos_need_the_admin_pin_and_keep_their_limits()
    {
        _host.Select();
        Assert.Equal(0x6982, _host.PutData(0x5B, "Doe<<John"u8.ToArray()));
        _host.VerifyAdmin();
        Assert.Equal(0x9000, _host.PutData(0x5B, "Doe<<John"u8.ToArray()));
        Assert.Equal(0x9000, _host.PutData(0x5F2D, "en"u8.ToArray()));
        Assert.Equal(0x9000, _host.PutData(0x5F35, [0x31]));
        Assert.Equal("65 14 5B 09 44 6F 65 3C 3C 4A 6F 68 6E 5F 2D 02 65 6E 5F 35 01 31", Hex.Format(_host.GetData(0x65)));
        Assert.Equal(0x6700, _host.PutData(0x5B, new byte[40]));
        Assert.Equal(0x6A80, _host.PutData(0x5F35, [0x33]));
        Assert.Equal(0x6A88, _host.PutData(0x4F, [0x00]));
        _host.Expect("00 CA 12 34 00", "6A 88");
    }

    public void Dispose() => _card.Dispose();

    private static List<(int Tag, string Value)> Entries(byte[] content)
    {
        var entries = new List<(int, string)>();
        for (int i = 0; i < content.Length; i += 2 + content[i + 1])
        {
            entries.Add((content[i], Hex.Format(content.AsSpan(i + 2, content[i + 1]))));
        }

        return entries;
    }

    /// <summary>The trace card's attestation key fingerprint and time (its key itself is random here).</summary>
    private void SetTraceAttestationKeyData()
    {
        _host.VerifyAdmin();
        Assert.Equal(0x9000, _host.PutData(0xDB, Convert.FromHexString(YubiKey543Trace.AttestationFingerprint)));
        Assert.Equal(0x9000, _host.PutData(0xDD, Convert.FromHexString(YubiKey543Trace.AttestationTime)));
    }

    private void UseCard(VirtualCard card)
    {
        _card.Dispose();
        _card = card;
        _host = new PgpHost(card.Connect());
    }
}
