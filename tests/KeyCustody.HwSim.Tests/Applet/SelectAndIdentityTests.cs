using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class SelectAndIdentityTests : IDisposable
{
    private readonly VirtualCard _card = TestCards.Create(serial: 11409355);
    private readonly PivHost _host;

    public SelectAndIdentityTests()
    {
        _host = new PivHost(_card.Connect());
    }

    [Theory]
    [InlineData("00 A4 04 00 05 A0 00 00 03 08")]
    [InlineData("00 A4 04 00 05 A0 00 00 03 08 00")]
    [InlineData("00 A4 04 00 09 A0 00 00 03 08 00 00 10 00")]
    [InlineData("00 A4 04 00 0B A0 00 00 03 08 00 00 10 00 01 00")]
    public void Select_accepts_every_prefix_of_the_piv_aid(string select) =>
        _host.Expect(select, "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00");

    [Theory]
    [InlineData("00 A4 04 00 05 A0 00 00 05 27")]
    [InlineData("00 A4 04 00 04 A0 00 00 03")]
    [InlineData("00 A4 04 00 0C A0 00 00 03 08 00 00 10 00 01 00 00")]
    public void Select_of_another_aid_is_not_found(string select) => _host.Expect(select, "6A 82");

    [Fact]
    public void Commands_before_select_are_not_supported() => _host.Expect("00 FD 00 00", "6D 00");

    [Fact]
    public void Version_is_5_7_1()
    {
        _host.Select();
        _host.Expect("00 FD 00 00", "05 07 01 90 00");
        _host.Expect("00 FD 00 00 00", "05 07 01 90 00");
    }

    [Fact]
    public void Serial_is_four_bytes_big_endian()
    {
        _host.Select();
        _host.Expect("00 F8 00 00", "00 AE 17 CB 90 00");
    }

    [Fact]
    public void Atr_is_the_yubikey_5_atr_with_a_valid_checksum()
    {
        var atr = VirtualCard.YubiKey5Atr.ToArray();
        Assert.Equal("3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40", Hex.Format(atr));
        Assert.Equal(0, atr.Skip(1).Aggregate(0, (x, b) => x ^ b));
        Assert.Equal(atr, CardConnection.Atr.ToArray());
    }

    [Theory]
    [InlineData("00 AA 00 00", "6D 00")]
    [InlineData("80 FD 00 00", "6E 00")]
    [InlineData("00 FD 00", "67 00")]
    [InlineData("00 20 00 80 08 31 32", "67 00")]
    [InlineData("00 C0 00 00 00", "6A 80")]
    public void Malformed_or_unknown_commands_get_their_status_words(string command, string status)
    {
        _host.Select();
        _host.Expect(command, status);
    }

    [Fact]
    public void Extended_length_apdus_are_accepted()
    {
        _host.Select();
        _host.Expect("00 20 00 80 00 00 08 31 32 33 34 35 36 FF FF", "90 00");
        _host.Expect("00 A4 04 00 00 00 05 A0 00 00 03 08 00 00", "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00");
    }

    public void Dispose() => _card.Dispose();
}
