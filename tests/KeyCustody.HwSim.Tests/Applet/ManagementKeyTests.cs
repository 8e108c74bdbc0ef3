using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Tests.Support;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class ManagementKeyTests
{
    [Fact]
    public void Default_key_is_aes192_and_mutual_authentication_works()
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 F7 00 9B", "01 01 0A 02 02 00 01 05 01 01 90 00");
        var step1 = host.SendRaw(Hex.Parse("00 87 0A 9B 04 7C 02 80 00"));
        Assert.Equal("7C 12 80 10", Hex.Format(step1[..4]));
        Assert.Equal(22, step1.Length);
        Assert.Equal(0x9000, PivHost.Sw(step1));
        Assert.Equal(0x9000, host.Authenticate());
    }

    [Fact]
    public void Triple_des_card_answers_8_byte_blocks_and_authenticates()
    {
        using var card = TestCards.Create(mgm: ManagementKeyAlgorithm.TripleDes);
        var host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 F7 00 9B", "01 01 03 02 02 00 01 05 01 01 90 00");
        var step1 = host.SendRaw(Hex.Parse("00 87 03 9B 04 7C 02 80 00"));
        Assert.Equal("7C 0A 80 08", Hex.Format(step1[..4]));
        Assert.Equal(14, step1.Length);
        Assert.Equal(0x9000, host.Authenticate(0x03));
    }

    [Fact]
    public void Wrong_key_wrong_algorithm_and_missing_witness_are_refused()
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        Assert.Equal(0x6982, host.Authenticate(0x0A, new byte[24]));
        host.Expect("00 87 03 9B 04 7C 02 80 00", "6A 80");
        host.Expect("00 87 0A 9B 26 7C 24 80 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 81 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "69 82");
        host.Expect("00 87 0A 9B 04 7D 02 80 00", "6A 80");
        host.Expect("00 FF FF FF 1B 03 9B 18 " + Hex.Format(PivHost.DefaultManagementKey), "69 82");
    }

    [Fact]
    public void Mutual_authentication_accepts_an_empty_82_inside_the_template()
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        var step1 = host.SendRaw(Hex.Parse("00 87 0A 9B 04 7C 02 80 00"));
        var witness = TestCipher.Decrypt(0x0A, PivHost.DefaultManagementKey, step1[4..20]);
        var challenge = new byte[16];
        var step2 = host.Send("00 87 0A 9B 28 7C 26 80 10 " + Hex.Format(witness) + " 81 10 " + Hex.Format(challenge) + " 82 00");
        Assert.Equal("7C 12 82 10 " + Hex.Format(TestCipher.Encrypt(0x0A, PivHost.DefaultManagementKey, challenge)) + " 90 00", step2);
    }

    [Fact]
    public void Single_authentication_variant()
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        var challenge = host.SendRaw(Hex.Parse("00 87 0A 9B 04 7C 02 81 00"));
        Assert.Equal("7C 12 81 10", Hex.Format(challenge[..4]));
        var response = TestCipher.Encrypt(0x0A, PivHost.DefaultManagementKey, challenge[4..20]);
        host.Expect("00 87 0A 9B 14 7C 12 82 10 " + Hex.Format(response), "90 00");
        host.Expect("00 FF FF FF 1B 0A 9B 18 " + Hex.Format(PivHost.DefaultManagementKey), "90 00");

        challenge = host.SendRaw(Hex.Parse("00 87 0A 9B 04 7C 02 81 00"));
        host.Expect("00 87 0A 9B 14 7C 12 82 10 " + Hex.Format(new byte[16]), "69 82");
    }

    [Theory]
    [InlineData(0x08, 16)]
    [InlineData(0x0A, 24)]
    [InlineData(0x0C, 32)]
    [InlineData(0x03, 24)]
    public void Set_management_key_to_each_algorithm(byte algorithm, int length)
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        Assert.Equal(0x9000, host.Authenticate());
        var key = Enumerable.Range(0x21, length).Select(b => (byte)b).ToArray();
        host.Expect($"00 FF FF FF {3 + length:X2} {algorithm:X2} 9B {length:X2} " + Hex.Format(key), "90 00");
        host.Expect("00 F7 00 9B", $"01 01 {algorithm:X2} 02 02 00 01 05 01 00 90 00");
        Assert.Equal(0x6A80, host.Authenticate(0x0A == algorithm ? (byte)0x03 : (byte)0x0A));
        Assert.Equal(0x9000, host.Authenticate(algorithm, key));
    }

    [Theory]
    [InlineData("00 FF FF FF 1A 0A 9B 18 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07")]
    [InlineData("00 FF FF FF 13 08 9B 18 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08")]
    [InlineData("00 FF FF FF 1B 11 9B 18 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08")]
    [InlineData("00 FF FF FF 1B 03 9B 18 01 01 01 01 01 01 01 01 01 02 03 04 05 06 07 08 01 02 03 04 05 06 07 08")]
    public void Set_management_key_rejects_bad_keys(string command)
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        Assert.Equal(0x9000, host.Authenticate());
        host.Expect(command, "6A 80");
        host.Expect("00 FF FF 00 1B 0A 9B 18 " + Hex.Format(PivHost.DefaultManagementKey), "6B 00");
    }

    [Fact]
    public void A_touch_required_management_key_waits_for_the_button()
    {
        using var card = TestCards.Create(touch: TouchMode.Never);
        var host = new PivHost(card.Connect());
        host.Select();
        Assert.Equal(0x9000, host.Authenticate());
        host.Expect("00 FF FF FE 1B 0A 9B 18 " + Hex.Format(PivHost.DefaultManagementKey), "90 00");
        host.Expect("00 F7 00 9B", "01 01 0A 02 02 00 02 05 01 01 90 00");
        int before = card.Button.Requests;
        Assert.Equal(0x6982, host.Authenticate());
        Assert.Equal(before + 1, card.Button.Requests);
        card.Button.Configure(TouchMode.Auto, TimeSpan.Zero);
        Assert.Equal(0x9000, host.Authenticate());
    }
}
