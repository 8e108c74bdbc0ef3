using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class DataObjectTests : CardTest
{
    [Fact]
    public void Missing_objects_are_not_found()
    {
        Host.Expect("00 CB 3F FF 05 5C 03 5F C1 02", "6A 82");
        Host.Expect("00 CB 3F FF 05 5C 03 5F C1 07 00", "6A 82");
    }

    [Fact]
    public void Discovery_is_built_in()
    {
        Host.Expect("00 CB 3F FF 03 5C 01 7E", "7E 12 4F 0B A0 00 00 03 08 00 00 10 00 01 00 5F 2F 02 40 00 90 00");
    }

    [Fact]
    public void Put_data_needs_the_management_key() =>
        Host.Expect("00 DB 3F FF 0A 5C 03 5F C1 02 53 03 01 02 03", "69 82");

    [Fact]
    public void Put_then_get_chuid_and_delete_it()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect("00 DB 3F FF 0A 5C 03 5F C1 02 53 03 01 02 03", "90 00");
        Host.Expect("00 CB 3F FF 05 5C 03 5F C1 02 00", "53 03 01 02 03 90 00");
        Host.Expect("00 DB 3F FF 07 5C 03 5F C1 02 53 00", "90 00");
        Host.Expect("00 CB 3F FF 05 5C 03 5F C1 02", "6A 82");
    }

    [Fact]
    public void A_large_certificate_object_travels_chained_both_ways()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        var certificate = Enumerable.Range(0, 1200).Select(i => (byte)i).ToArray();
        var content = new List<byte> { 0x70, 0x82, 0x04, 0xB0 };
        content.AddRange(certificate);
        content.AddRange(Hex.Parse("71 01 00 FE 00"));
        var put = new List<byte>(Hex.Parse("5C 03 5F C1 0A 53 82"));
        put.Add((byte)(content.Count >> 8));
        put.Add((byte)content.Count);
        put.AddRange(content);
        Host.Log.Clear();
        Assert.Equal(0x9000, Host.Exchange(0xDB, 0x3F, 0xFF, [.. put]).Sw);
        Assert.Equal("10 DB 3F FF FF", Host.Log[0].Command[..14]);
        Assert.Equal("90 00", Host.Log[0].Response);

        Host.Log.Clear();
        var (data, sw) = Host.Exchange(0xCB, 0x3F, 0xFF, Hex.Parse("5C 03 5F C1 0A"));
        Assert.Equal(0x9000, sw);
        Assert.Equal("53 82 04 B9 70 82 04 B0 00 01 02", Hex.Format(data[..11]));
        Assert.Equal(content, data[4..]);
        Assert.Equal("61 00", Host.Log[0].Response[^5..]);
        Assert.Equal(5, Host.Log.Count);
    }

    [Fact]
    public void Printed_information_needs_the_pin()
    {
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect("00 DB 3F FF 09 5C 03 5F C1 09 53 02 88 00", "90 00");
        Host.Expect("00 CB 3F FF 05 5C 03 5F C1 09", "69 82");
        Host.VerifyPin();
        Host.Expect("00 CB 3F FF 05 5C 03 5F C1 09", "53 02 88 00 90 00");
    }

    [Theory]
    [InlineData("00 CB 3F FE 05 5C 03 5F C1 02", "6B 00")]
    [InlineData("00 CB 3F FF 04 5C 02 5F C1", "6A 80")]
    [InlineData("00 CB 3F FF 05 5D 03 5F C1 02", "6A 80")]
    public void Get_data_rejects_bad_parameters(string command, string status) => Host.Expect(command, status);

    [Theory]
    [InlineData("00 DB 3F FF 0A 5C 03 12 34 56 53 03 01 02 03")]
    [InlineData("00 DB 3F FF 05 5C 03 5F C1 02")]
    [InlineData("00 DB 3F FF 08 5C 01 7E 53 03 01 02 03")]
    public void Put_data_rejects_bad_objects(string command)
    {
        Assert.Equal(0x9000, Host.Authenticate());
        Host.Expect(command, "6A 80");
    }

    [Fact]
    public void The_attestation_certificate_object_is_present_on_a_new_card() =>
        Assert.StartsWith("53 82", Host.Send("00 CB 3F FF 05 5C 03 5F FF 01"), StringComparison.Ordinal);
}
