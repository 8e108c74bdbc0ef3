using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class PinTests : CardTest
{
    private const string Pin = "31 32 33 34 35 36 FF FF";
    private const string WrongPin = "30 30 30 30 30 30 FF FF";
    private const string Puk = "31 32 33 34 35 36 37 38";
    private const string WrongPuk = "30 30 30 30 30 30 30 30";

    [Fact]
    public void Status_probe_reports_tries_until_verified()
    {
        Host.Expect("00 20 00 80", "63 C3");
        Host.Expect("00 20 00 80 00", "63 C3");
        Host.Expect("00 20 00 80 08 " + Pin, "90 00");
        Host.Expect("00 20 00 80", "90 00");
    }

    [Fact]
    public void Wrong_pins_count_down_then_block_even_the_right_one()
    {
        Host.Expect("00 20 00 80 08 " + WrongPin, "63 C2");
        Host.Expect("00 20 00 80 08 " + WrongPin, "63 C1");
        Host.Expect("00 20 00 80 08 " + WrongPin, "63 C0");
        Host.Expect("00 20 00 80 08 " + Pin, "69 83");
        Host.Expect("00 20 00 80", "69 83");
    }

    [Fact]
    public void A_right_pin_restores_the_counter_and_a_wrong_one_unverifies()
    {
        Host.Expect("00 20 00 80 08 " + WrongPin, "63 C2");
        Host.Expect("00 20 00 80 08 " + Pin, "90 00");
        Host.Expect("00 20 00 80 08 " + WrongPin, "63 C2");
        Host.Expect("00 20 00 80", "63 C2");
    }

    [Theory]
    [InlineData("00 20 00 80 06 31 32 33 34 35 36", "6A 80")]
    [InlineData("00 20 00 81 08 31 32 33 34 35 36 37 38", "6A 88")]
    [InlineData("00 20 01 80 08 31 32 33 34 35 36 FF FF", "6B 00")]
    public void Verify_rejects_bad_lengths_references_and_parameters(string command, string status) =>
        Host.Expect(command, status);

    [Fact]
    public void Verify_with_p1_ff_clears_the_verified_state()
    {
        Host.Expect("00 20 00 80 08 " + Pin, "90 00");
        Host.Expect("00 20 FF 80", "90 00");
        Host.Expect("00 20 00 80", "63 C3");
    }

    [Fact]
    public void Change_pin_and_puk()
    {
        Host.Expect("00 24 00 80 10 " + Pin + " 36 35 34 33 32 31 FF FF", "90 00");
        Host.Expect("00 20 00 80 08 " + Pin, "63 C2");
        Host.Expect("00 20 00 80 08 36 35 34 33 32 31 FF FF", "90 00");
        Host.Expect("00 24 00 81 10 " + Puk + " 38 37 36 35 34 33 32 31", "90 00");
        Host.Expect("00 24 00 81 10 " + Puk + " 38 37 36 35 34 33 32 31", "63 C2");
    }

    [Fact]
    public void Change_with_a_wrong_current_value_consumes_a_try()
    {
        Host.Expect("00 24 00 80 10 " + WrongPin + " 36 35 34 33 32 31 FF FF", "63 C2");
        Host.Expect("00 24 00 81 10 " + WrongPuk + " 38 37 36 35 34 33 32 31", "63 C2");
    }

    [Theory]
    [InlineData("00 24 00 80 10 31 32 33 34 35 36 FF FF 31 32 33 34 35 FF FF FF")]
    [InlineData("00 24 00 80 10 31 32 33 34 35 36 FF FF 31 32 33 34 35 36 FF 37")]
    [InlineData("00 24 00 81 10 31 32 33 34 35 36 37 38 31 32 33 34 35 36 37 C8")]
    [InlineData("00 24 00 80 08 31 32 33 34 35 36 FF FF")]
    public void Malformed_new_values_are_refused_without_consuming_a_try(string command)
    {
        Host.Expect(command, "6A 80");
        Host.Expect("00 20 00 80", "63 C3");
    }

    [Theory]
    [InlineData("00 2C 00 80 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF")]
    [InlineData("00 24 00 81 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF")]
    [InlineData("00 24 00 80 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF")]
    public void A_wrong_current_value_is_counted_before_the_new_value_is_checked(string command)
    {
        // ykman's `piv reset` blocks the PUK with RESET RETRY of two empty (all FF) values and expects 63 Cx each time.
        Host.Expect(command, "63 C2");
        Host.Expect(command, "63 C1");
        Host.Expect(command, "63 C0");
        Host.Expect(command, "69 83");
    }

    [Fact]
    public void Change_reference_rejects_an_unknown_reference() =>
        Host.Expect("00 24 00 9B 10 " + Pin + " " + Pin, "6A 88");

    [Fact]
    public void Unblock_with_the_puk_restores_the_pin()
    {
        for (int i = 0; i < 3; i++)
        {
            Host.Send("00 20 00 80 08 " + WrongPin);
        }

        Host.Expect("00 2C 00 80 10 " + WrongPuk + " 37 37 37 37 37 37 FF FF", "63 C2");
        Host.Expect("00 2C 00 80 10 " + Puk + " 37 37 37 37 37 37 FF FF", "90 00");
        Host.Expect("00 20 00 80", "63 C3");
        Host.Expect("00 20 00 80 08 37 37 37 37 37 37 FF FF", "90 00");
    }

    [Fact]
    public void A_blocked_puk_cannot_unblock()
    {
        for (int i = 0; i < 3; i++)
        {
            Host.Send("00 2C 00 80 10 " + WrongPuk + " " + Pin);
        }

        Host.Expect("00 2C 00 80 10 " + Puk + " " + Pin, "69 83");
        Host.Expect("00 24 00 81 10 " + Puk + " " + Puk, "69 83");
    }

    [Fact]
    public void Set_pin_retries_needs_management_key_and_pin_then_resets_both()
    {
        Host.Expect("00 FA 05 04", "69 82");
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect("00 FA 05 04", "69 82");
        Host.Expect("00 24 00 80 10 " + Pin + " 36 35 34 33 32 31 FF FF", "90 00");
        Host.Expect("00 20 00 80 08 36 35 34 33 32 31 FF FF", "90 00");
        Host.Expect("00 FA 05 04", "90 00");
        Host.Expect("00 F7 00 80", "01 01 FF 05 01 01 06 02 05 05 90 00");
        Host.Expect("00 F7 00 81", "01 01 FF 05 01 01 06 02 04 04 90 00");
        Host.Expect("00 20 00 80", "63 C5");
        Host.Expect("00 20 00 80 08 " + Pin, "90 00");
    }

    [Fact]
    public void Pin_and_puk_metadata_follow_changes_and_tries()
    {
        Host.Expect("00 F7 00 80", "01 01 FF 05 01 01 06 02 03 03 90 00");
        Host.Send("00 20 00 80 08 " + WrongPin);
        Host.Expect("00 F7 00 80", "01 01 FF 05 01 01 06 02 03 02 90 00");
        Host.Expect("00 24 00 81 10 " + Puk + " 38 37 36 35 34 33 32 31", "90 00");
        Host.Expect("00 F7 00 81", "01 01 FF 05 01 00 06 02 03 03 90 00");
    }

    [Fact]
    public void Reset_is_refused_until_pin_and_puk_are_both_blocked()
    {
        Generate(0x9A, 0xE0);
        Host.Expect("00 FB 00 00", "69 85");
        for (int i = 0; i < 3; i++)
        {
            Host.Send("00 20 00 80 08 " + WrongPin);
        }

        Host.Expect("00 FB 00 00", "69 85");
        for (int i = 0; i < 3; i++)
        {
            Host.Send("00 2C 00 80 10 " + WrongPuk + " " + Pin);
        }

        Host.Expect("00 FB 00 00", "90 00");
        Host.Expect("00 F7 00 9A", "6A 88");
        Host.Expect("00 F7 00 80", "01 01 FF 05 01 01 06 02 03 03 90 00");
        Host.Expect("00 20 00 80 08 " + Pin, "90 00");
        Host.Expect("00 F7 00 9B", "01 01 0A 02 02 00 01 05 01 01 90 00");
        Assert.Equal(0x9000, Host.Authenticate());
    }
}
