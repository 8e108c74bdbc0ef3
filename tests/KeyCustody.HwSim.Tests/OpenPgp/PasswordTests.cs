using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.OpenPgp;

/// <summary>PW1, PW3 and the resetting code: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, SET PIN RETRIES.</summary>
public sealed class PasswordTests : IDisposable
{
    private VirtualCard _card = TestCards.Create(profile: CardProfile.YubiKey543);
    private PgpHost _host;

    public PasswordTests()
    {
        _host = new PgpHost(_card.Connect());
        _host.Select();
    }

    [Fact]
    public void A_wrong_pin_answers_6982_on_a_yubikey_counts_down_and_blocks()
    {
        // The 5.4.3 trace: "some wrong password" answers 69 82 and C4 then shows 2 tries.
        Assert.Equal(0x6982, _host.Verify(0x81, "some wrong password"));
        Assert.Equal("01 7F 7F 7F 02 00 03", Hex.Format(_host.GetData(0xC4)));
        _host.Expect("00 20 00 81", "6A 80");
        Assert.Equal(0x6982, _host.Verify(0x82, "654321"));
        Assert.Equal(0x6982, _host.Verify(0x81, "654321"));
        Assert.Equal(0x6983, _host.Verify(0x81, "123456"));
        Assert.Equal("01 7F 7F 7F 00 00 03", Hex.Format(_host.GetData(0xC4)));
    }

    [Fact]
    public void A_wrong_pin_answers_63cx_on_a_nitrokey_3()
    {
        UseCard(TestCards.Create(profile: CardProfile.Nitrokey3));
        Assert.Equal(0x63C2, _host.Verify(0x81, "654321"));
        Assert.Equal(0x63C2, _host.Verify(0x83, "87654321"));
        Assert.Equal(0x63C1, _host.Verify(0x82, "654321"));
    }

    [Fact]
    public void A_pin_shorter_than_its_minimum_is_refused_and_not_counted()
    {
        // The trace: "wrong" (5 bytes) answers 6A 80 for PW1 and PW3.
        Assert.Equal(0x6A80, _host.Verify(0x81, "wrong"));
        Assert.Equal(0x6A80, _host.Verify(0x83, "1234567"));
        Assert.Equal(0x6A80, _host.Verify(0x81, new string('1', 128)));
        Assert.Equal("01 7F 7F 7F 03 00 03", Hex.Format(_host.GetData(0xC4)));
    }

    [Fact]
    public void Verify_without_data_answers_6a80_on_5_4_3_as_opensc_issue_2565_reports()
    {
        _host.Expect("00 20 00 81", "6A 80");
        _host.VerifyUser(0x81);
        _host.Expect("00 20 00 81", "6A 80");
    }

    [Fact]
    public void A_5_4_3_does_not_know_verify_p1_ff_and_keeps_the_pin_verified_as_ykman_expects_only_from_5_6()
    {
        _host.VerifyAdmin();
        _host.SetAttributes(0xC3, "16 2B 06 01 04 01 DA 47 0F 01");
        _host.Generate(0xA4);
        _host.VerifyUser(0x82);
        _host.Expect("00 20 FF 82", "6B 00");
        _host.Expect("00 20 FF 83", "6B 00");

        // Still verified: INTERNAL AUTHENTICATE works without another VERIFY.
        Assert.Equal(0x9000, _host.Authenticate(new byte[32]).Sw);
    }

    [Fact]
    public void Verify_without_data_reports_the_state_and_p1_ff_ends_it()
    {
        UseCard(TestCards.Create(profile: CardProfile.YubiKey57));
        _host.Expect("00 20 00 81", "63 C3");
        _host.VerifyUser(0x81);
        _host.Expect("00 20 00 81", "90 00");
        _host.Expect("00 20 00 82", "63 C3");
        _host.Expect("00 20 FF 81", "90 00");
        _host.Expect("00 20 00 81", "63 C3");
        _host.Expect("00 20 00 84", "6B 00");
        for (int i = 0; i < 3; i++)
        {
            _host.Verify(0x82, "654321");
        }

        _host.Expect("00 20 00 82", "69 83");
    }

    [Fact]
    public void Change_reference_data_checks_the_old_value_first_and_splits_at_its_length()
    {
        // The trace: a wrong old PIN answers 69 82; "123456" + "hallohallo" changes it.
        _host.Expect("00 24 00 81 0F 77 72 6F 6E 67 68 61 6C 6C 6F 68 61 6C 6C 6F", "69 82");
        _host.Expect("00 24 00 81 10 31 32 33 34 35 36 68 61 6C 6C 6F 68 61 6C 6C 6F", "90 00");
        _host.Expect("00 20 00 81 0A 68 61 6C 6C 6F 68 61 6C 6C 6F", "90 00");
        Assert.Equal(0x6A80, _host.Exchange(0x24, 0x00, 0x83, "12345678short"u8.ToArray()).Sw);
        Assert.Equal(0x9000, _host.Exchange(0x24, 0x00, 0x83, "12345678newadmin"u8.ToArray()).Sw);
        _host.VerifyAdmin("newadmin");
    }

    [Fact]
    public void Reset_retry_counter_with_the_admin_pin_and_with_the_resetting_code_follow_the_trace()
    {
        Assert.Equal(0x6982, _host.Verify(0x81, "some wrong password"));
        _host.VerifyAdmin();
        _host.Expect("00 2C 02 81 06 31 32 33 34 35 36", "90 00");
        Assert.Equal("01 7F 7F 7F 03 00 03", Hex.Format(_host.GetData(0xC4)));

        // No resetting code yet: its counter is 0 and P1 00 is blocked.
        _host.Expect("00 2C 00 81 0E 61 62 63 64 65 66 67 68 31 32 33 34 35 36", "69 83");
        Assert.Equal(0x9000, _host.PutData(0xD3, "my reset code"u8.ToArray()));
        Assert.Equal(0x6982, _host.Verify(0x81, "some wrong password"));
        Assert.Equal("01 7F 7F 7F 02 03 03", Hex.Format(_host.GetData(0xC4)));
        Assert.Equal(0x9000, _host.Exchange(0x2C, 0x00, 0x81, "my reset code123456"u8.ToArray()).Sw);
        Assert.Equal("01 7F 7F 7F 03 03 03", Hex.Format(_host.GetData(0xC4)));
        Assert.Equal(0x6982, _host.Exchange(0x2C, 0x00, 0x81, "my reset cod3123456"u8.ToArray()).Sw);
        Assert.Equal("01 7F 7F 7F 03 02 03", Hex.Format(_host.GetData(0xC4)));
        Assert.Equal(0x6A80, _host.PutData(0xD3, "short"u8.ToArray()));
    }

    [Fact]
    public void Reset_retry_counter_with_p1_02_needs_the_admin_pin()
    {
        _host.Expect("00 2C 02 81 06 31 32 33 34 35 36", "69 82");
        _host.VerifyAdmin();
        _host.Expect("00 2C 02 81 05 31 32 33 34 35", "6A 80");
    }

    [Fact]
    public void Set_pin_retries_follows_the_trace()
    {
        _host.Expect("00 F2 00 00 03 0B 0C 0D", "69 82");
        _host.VerifyAdmin();
        _host.Expect("00 F2 00 00 03 0B 0C 0D", "90 00");
        Assert.Equal("01 7F 7F 7F 0B 00 0D", Hex.Format(_host.GetData(0xC4)));
        Assert.Equal(0x9000, _host.PutData(0xD3, "my reset code"u8.ToArray()));
        Assert.Equal("01 7F 7F 7F 0B 0C 0D", Hex.Format(_host.GetData(0xC4)));
        Assert.Equal(0x6982, _host.Verify(0x81, "some wrong password"));
        _host.VerifyUser();
    }

    [Fact]
    public void Selecting_another_applet_ends_the_openpgp_verifications_but_reselecting_openpgp_keeps_them()
    {
        UseCard(TestCards.Create(profile: CardProfile.YubiKey57));
        _host.VerifyUser(0x82);
        _host.Select();
        _host.Expect("00 20 00 82", "90 00");
        _host.Expect("00 A4 04 00 05 A0 00 00 03 08", "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00");
        _host.Select();
        _host.Expect("00 20 00 82", "63 C3");
    }

    public void Dispose() => _card.Dispose();

    private void UseCard(VirtualCard card)
    {
        _card.Dispose();
        _card = card;
        _host = new PgpHost(card.Connect());
        _host.Select();
    }
}
