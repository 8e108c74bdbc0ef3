using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class GenerateAndMetadataTests : CardTest
{
    [Fact]
    public void Generate_needs_the_management_key() =>
        Host.Expect("00 47 00 9C 05 AC 03 80 01 E0", "69 82");

    [Fact]
    public void Generate_ed25519_with_pin_always_and_touch_always_as_in_the_doc()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        var response = Host.SendRaw(Hex.Parse("00 47 00 9C 0B AC 09 80 01 E0 AA 01 03 AB 01 02"));
        Assert.Equal("7F 49 22 86 20", Hex.Format(response[..5]));
        Assert.Equal(39, response.Length);
        Assert.Equal(0x9000, PivHost.Sw(response));
        var publicKey = response[5..37];
        Host.Expect("00 F7 00 9C", "01 01 E0 02 02 03 02 03 01 01 04 22 86 20 " + Hex.Format(publicKey) + " 90 00");
    }

    [Fact]
    public void Generate_p256_returns_an_uncompressed_point()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        var response = Host.SendRaw(Hex.Parse("00 47 00 9A 05 AC 03 80 01 11"));
        Assert.Equal("7F 49 43 86 41 04", Hex.Format(response[..6]));
        Assert.Equal(0x9000, PivHost.Sw(response));
        Host.Expect("00 F7 00 9A", "01 01 11 02 02 02 01 03 01 01 04 43 86 41 " + Hex.Format(response[5..70]) + " 90 00");
    }

    [Fact]
    public void Generate_x25519_into_a_retired_slot()
    {
        var publicKey = Generate(0x82, 0xE1);
        Assert.Equal(32, publicKey.Length);
        Host.Expect("00 F7 00 82", "01 01 E1 02 02 02 01 03 01 01 04 22 86 20 " + Hex.Format(publicKey) + " 90 00");
    }

    [Theory]
    [InlineData(0x9A, "02 01")]
    [InlineData(0x9C, "03 01")]
    [InlineData(0x9D, "02 01")]
    [InlineData(0x9E, "01 01")]
    [InlineData(0x95, "02 01")]
    public void Default_policies_are_reported_resolved(byte slot, string policy)
    {
        Generate(slot, 0xE0);
        Assert.StartsWith("01 01 E0 02 02 " + policy + " 03 01 01", Host.Send($"00 F7 00 {slot:X2}"));
    }

    [Theory]
    [InlineData("00 47 00 9C 05 AC 03 80 01 15", "6A 80")]
    [InlineData("00 47 00 9C 05 AC 03 80 01 E2", "6A 80")]
    [InlineData("00 47 00 9C 08 AC 06 80 01 E0 AA 01 04", "6A 80")]
    [InlineData("00 47 00 9C 08 AC 06 80 01 E0 AB 01 04", "6A 80")]
    [InlineData("00 47 00 9C 05 AD 03 80 01 E0", "6A 80")]
    [InlineData("00 47 00 9C 03 AC 01 80", "6A 80")]
    [InlineData("00 47 00 9B 05 AC 03 80 01 E0", "6A 88")]
    [InlineData("00 47 00 F9 05 AC 03 80 01 E0", "6A 80")]
    [InlineData("00 47 00 F9 05 AC 03 80 01 06", "6A 80")]
    [InlineData("00 47 01 9C 05 AC 03 80 01 E0", "6B 00")]
    public void Generate_rejects_bad_templates_slots_and_algorithms(string command, string status)
    {
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect(command, status);
    }

    [Theory]
    [InlineData("00 F7 00 9C", "6A 88")]
    [InlineData("00 F7 00 42", "6A 88")]
    [InlineData("00 F7 01 80", "6B 00")]
    public void Metadata_of_empty_or_unknown_slots(string command, string status) => Host.Expect(command, status);

    [Fact]
    public void Metadata_of_the_attestation_slot_shows_the_factory_key()
    {
        var response = Host.Send("00 F7 00 F9");
        Assert.StartsWith("01 01 11 02 02 01 01 03 01 02 04 43 86 41 04", response);
        Assert.EndsWith("90 00", response);
    }
}
