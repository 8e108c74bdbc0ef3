using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Management;

/// <summary>The management applet: SELECT, READ CONFIG (device info), WRITE CONFIG, DEVICE RESET, and applet switching.</summary>
public sealed class ManagementAppletTests : CardTest
{
    private const string SelectManagement = "00 A4 04 00 08 A0 00 00 05 27 47 11 17";
    private const string LockCode = "01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10";

    // 11409355 = 00 AE 17 CB. Tags: yubikit management.py; values: a YubiKey 5 NFC (USB-A keychain) with firmware 5.7.1.
    private const string FactoryInfo =
        "31 01 02 03 3F 02 04 00 AE 17 CB 03 02 03 3F 04 01 01 05 03 05 07 01 06 02 00 00 07 01 0F 08 01 00 "
        + "0D 02 03 3F 0E 02 03 3B 0A 01 00 16 01 00 17 01 00";

    [Fact]
    public void Select_answers_the_firmware_version_as_text_and_read_config_the_device_info()
    {
        Host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
        Host.Expect("00 1D 00 00", FactoryInfo + " 90 00");
        Host.Expect("00 1D 01 00", "00 90 00");
        Host.Expect("00 FD 00 00", "6D 00");
    }

    [Fact]
    public void Absent_applets_and_the_security_domain_are_6a82_and_the_current_applet_stays_selected()
    {
        // OTP, the OTP/YubiHSM family, the Security Domain (OpenPGP is present now: OpenPgp/SelectAndDataObjectTests).
        foreach (var aid in new[] { "A0 00 00 05 27 21 01", "A0 00 00 05 27 20 01", "A0 00 00 01 51 00 00 00" })
        {
            Host.Expect($"00 A4 04 00 {Hex.Parse(aid).Length:X2} {aid}", "6A 82");
        }

        Host.Expect("00 FD 00 00", "05 07 01 90 00");
    }

    [Fact]
    public void Selecting_another_applet_ends_the_piv_pin_and_management_key_state()
    {
        Host.VerifyPin();
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
        Host.Select();
        Host.Expect("00 20 00 80", "63 C3");
        Host.Expect("00 47 00 9A 05 AC 03 80 01 11", "69 82");
    }

    [Fact]
    public void Disabling_piv_over_usb_with_a_reboot_ends_the_session_and_hides_the_applet()
    {
        Host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
        Host.Expect("00 1C 00 00 07 06 03 02 03 2F 0C 00", "90 00");
        Host.Expect("00 1D 00 00", "6D 00");
        Host.Expect("00 A4 04 00 05 A0 00 00 03 08", "6A 82");
        Host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
        Assert.Contains("03 02 03 2F", Host.Send("00 1D 00 00"), StringComparison.Ordinal);
        Host.Expect("00 1C 00 00 05 04 03 02 03 3F", "90 00");
        Host.Select();
    }

    [Fact]
    public void A_lock_code_guards_write_config_until_it_is_given_and_all_zeros_removes_it()
    {
        Host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
        Host.Expect("00 1C 00 00 13 12 0A 10 " + LockCode, "90 00");
        Assert.Contains("0A 01 01", Host.Send("00 1D 00 00"), StringComparison.Ordinal);
        Host.Expect("00 1C 00 00 04 03 07 01 1E", "6F 00");
        Host.Expect("00 1C 00 00 16 15 0B 10 " + LockCode.Replace("10", "11", StringComparison.Ordinal) + " 07 01 1E", "6F 00");
        Assert.Contains("07 01 0F", Host.Send("00 1D 00 00"), StringComparison.Ordinal);
        Host.Expect("00 1C 00 00 28 27 0B 10 " + LockCode + " 0A 10 " + Hex.Format(new byte[16]) + " 07 01 1E", "90 00");
        Assert.Contains("07 01 1E", Host.Send("00 1D 00 00"), StringComparison.Ordinal);
        Assert.Contains("0A 01 00", Host.Send("00 1D 00 00"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00 1C 00 00 05 05 03 02 03 3F")]
    [InlineData("00 1C 00 00 05 04 03 02 04 3F")]
    [InlineData("00 1C 00 00 04 03 42 01 00")]
    [InlineData("00 1C 00 00 05 04 0A 02 00 00")]
    public void Malformed_or_impossible_configurations_are_6a80(string command)
    {
        Host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
        Host.Expect(command, "6A 80");
        Host.Expect("00 1D 00 00", FactoryInfo + " 90 00");
    }

    [Fact]
    public void Device_reset_returns_piv_to_the_factory_but_keeps_the_attestation_key()
    {
        Generate(0x9A, 0x11);
        Host.Expect("00 24 00 80 10 31 32 33 34 35 36 FF FF 36 35 34 33 32 31 FF FF", "90 00");
        var attestationKey = Host.Send("00 F7 00 F9");
        Host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
        Host.Expect("00 1F 00 00", "90 00");
        Host.Select();
        Host.Expect("00 F7 00 9A", "6A 88");
        Host.VerifyPin();
        Assert.Equal(attestationKey, Host.Send("00 F7 00 F9"));
    }

    [Fact]
    public void Device_reset_also_returns_openpgp_to_the_factory_keeping_its_attestation_key()
    {
        var pgp = new PgpHost(Card.Connect());
        pgp.Select();
        pgp.VerifyAdmin();
        pgp.SetAttributes(0xC1, "16 2B 06 01 04 01 DA 47 0F 01");
        pgp.Generate(0xB6);
        Assert.Equal(0x9000, pgp.Exchange(0x24, 0x00, 0x81, "123456654321"u8.ToArray()).Sw);
        var attestation = pgp.GetData(0xFC);
        Host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
        Host.Expect("00 1F 00 00", "90 00");
        pgp.Select();
        Assert.Equal("01 00 02 00 03 00 81 02", Hex.Format(pgp.GetData(0xDE)));
        pgp.VerifyUser();
        Assert.Equal(attestation, pgp.GetData(0xFC));
    }

    [Fact]
    public void The_configuration_survives_a_restart_through_the_state_file()
    {
        var directory = Directory.CreateTempSubdirectory("hwsim-mgmt-").FullName;
        try
        {
            var path = Path.Combine(directory, "card.json");
            using (var card = TestCards.Create(serial: 7654321, statePath: path))
            {
                var host = new PivHost(card.Connect());
                host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
                host.Expect("00 1C 00 00 17 16 03 02 03 3E 0A 10 " + LockCode, "90 00");
            }

            using (var card = TestCards.Create(serial: 7654321, statePath: path))
            {
                var host = new PivHost(card.Connect());
                host.Expect(SelectManagement, "35 2E 37 2E 31 90 00");
                var info = host.Send("00 1D 00 00");
                Assert.Contains("03 02 03 3E", info, StringComparison.Ordinal);
                Assert.Contains("0A 01 01", info, StringComparison.Ordinal);
                host.Expect("00 1C 00 00 04 03 07 01 1E", "6F 00");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
