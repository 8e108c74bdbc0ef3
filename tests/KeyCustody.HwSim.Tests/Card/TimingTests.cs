using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Card;

/// <summary>The YubiKey timing model and the busy intervals a benchmark reads (no test asserts an upper bound).</summary>
public sealed class TimingTests
{
    [Theory]
    [InlineData("00 A4 04 00 05 A0 00 00 03 08", 1.257)]
    [InlineData("00 20 00 80 08 31 32 33 34 35 36 FF FF", 9.135)]
    [InlineData("00 20 00 80", 1.257)]
    [InlineData("10 87 E0 9C FF 7C 82 01 00", 1.257)]
    [InlineData("00 87 E0 9C 06 7C 04 82 00 81 00", 71.572)]
    [InlineData("00 87 11 9A 06 7C 04 82 00 81 00", 71.572)]
    [InlineData("00 87 14 9A 06 7C 04 82 00 81 00", 118.563)]
    [InlineData("00 87 07 9A 06 7C 04 82 00 81 00", 138.491)]
    [InlineData("00 87 0A 9B 04 7C 02 80 00", 1.257)]
    public void The_yubikey_5_model_charges_per_command(string apdu, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), CardTiming.YubiKey5.For(Hex.Parse(apdu)));

    [Theory]
    [InlineData("00 2A 9E 9A 01 00", 71.572)]
    [InlineData("10 2A 9E 9A 01 00", 1.257)]
    [InlineData("00 88 00 00 01 00", 138.491)]
    [InlineData("00 2A 80 86 01 00", 1.257)]
    public void The_yubikey_5_model_charges_openpgp_operations_by_the_key_they_use(string apdu, double milliseconds)
    {
        KeyAlgorithm? Key(HwSim.OpenPgp.PgpKey key) => key switch
        {
            HwSim.OpenPgp.PgpKey.Signature => KeyAlgorithm.Ed25519,
            HwSim.OpenPgp.PgpKey.Authentication => KeyAlgorithm.Rsa2048,
            _ => null,
        };

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), CardTiming.YubiKey5.For(Hex.Parse(apdu), Key));
    }

    [Fact]
    public void An_openpgp_signature_keeps_the_card_busy_no_shorter_than_the_model()
    {
        using var card = TestCards.Create();
        var host = new PgpHost(card.Connect());
        host.Select();
        host.VerifyAdmin();
        host.SetAttributes(0xC1, "16 2B 06 01 04 01 DA 47 0F 01");
        host.Generate(0xB6);
        host.VerifyUser();
        card.Timing = new CardTiming { PrivateKey = new Dictionary<KeyAlgorithm, TimeSpan> { [KeyAlgorithm.Ed25519] = TimeSpan.FromMilliseconds(40) } };
        card.Activity.Recording = true;
        Assert.Equal(0x9000, host.Sign("hello"u8.ToArray()).Sw);
        var busy = Assert.Single(card.Activity.Take());
        Assert.True(busy.Duration >= TimeSpan.FromMilliseconds(40), $"busy {busy.Duration.TotalMilliseconds} ms");
    }

    [Fact]
    public void A_signature_keeps_the_card_busy_no_shorter_than_the_model_and_every_command_is_recorded()
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        Assert.Equal(0x9000, host.Authenticate());
        Assert.Equal(0x9000, host.Exchange(0x47, 0x00, 0x9A, Hex.Parse("AC 06 80 01 E0 AA 01 01")).Sw);
        Assert.Empty(card.Activity.Take());

        card.Timing = new CardTiming { PrivateKey = new Dictionary<KeyAlgorithm, TimeSpan> { [KeyAlgorithm.Ed25519] = TimeSpan.FromMilliseconds(40) } };
        card.Activity.Recording = true;
        host.Expect("00 FD 00 00", "05 07 01 90 00");
        Assert.Equal(0x9000, host.Exchange(0x87, 0xE0, 0x9A, CardTestAccess.GeneralAuthenticate(0x81, "hello"u8.ToArray())).Sw);
        var busy = card.Activity.Take();
        Assert.Equal(2, busy.Count);
        Assert.True(busy[1].Duration >= TimeSpan.FromMilliseconds(40), $"busy {busy[1].Duration.TotalMilliseconds} ms");
        Assert.True(busy[0].End <= busy[1].Start);
        Assert.Empty(card.Activity.Take());
    }
}
