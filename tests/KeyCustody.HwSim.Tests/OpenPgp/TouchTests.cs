using System.Security.Cryptography;
using KeyCustody.HwSim.Tests.Support;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Tests.OpenPgp;

/// <summary>UIF (D6-D9): the same button and modes as PIV; on, fixed, cached, cached-fixed; timeout and removal.</summary>
public sealed class TouchTests
{
    [Fact]
    public async Task With_uif_on_a_signature_waits_for_the_button_and_the_card_answers_nothing_else_meanwhile()
    {
        using var card = TestCards.Create(touch: TouchMode.Manual, touchTimeout: TimeSpan.FromSeconds(30));
        var host = Prepare(card, uif: 0x01);
        var sign = Task.Run(() => host.Sign([1, 2, 3]).Sw);
        Assert.True(card.Button.WaitUntilWaiting(TimeSpan.FromSeconds(10)));
        var other = new PgpHost(card.Connect());
        var counter = Task.Run(() => other.Send("00 CA 00 93 00"));
        Assert.False(counter.IsCompleted);
        Assert.True(card.Button.Touch());
        Assert.Equal(0x9000, await sign);
        Assert.Equal("00 00 01 90 00", await counter);
    }

    [Fact]
    public void An_untouched_operation_answers_6982_after_the_timeout_and_the_pin_stays_verified()
    {
        using var card = TestCards.Create(touch: TouchMode.Never, touchTimeout: TimeSpan.FromMilliseconds(50));
        var host = Prepare(card, uif: 0x01);
        Assert.Equal(0x6982, host.Sign([1]).Sw);
        Assert.Equal(1, card.Button.Requests);
        host.Expect("00 20 00 81", "90 00");
        Assert.Equal("00 00 00", Hex.Format(host.GetData(0x93)));
    }

    [Fact]
    public void Cached_uif_accepts_a_touch_of_the_last_15_seconds()
    {
        var time = new ManualTime();
        using var card = TestCards.Create(time: time);
        var host = Prepare(card, uif: 0x03);
        Assert.Equal(0x9000, host.Sign([1]).Sw);
        time.Advance(TimeSpan.FromSeconds(14));
        Assert.Equal(0x9000, host.Sign([2]).Sw);
        Assert.Equal(1, card.Button.Requests);
        time.Advance(TimeSpan.FromSeconds(16));
        Assert.Equal(0x9000, host.Sign([3]).Sw);
        Assert.Equal(2, card.Button.Requests);
    }

    [Fact]
    public void A_fixed_uif_cannot_change_while_the_key_is_there_and_can_once_it_is_deleted()
    {
        using var card = TestCards.Create();
        var host = Prepare(card, uif: 0x02);
        Assert.Equal("02 20", Hex.Format(host.GetData(0xD6)));
        Assert.Equal(0x6982, host.PutData(0xD6, [0x00, 0x20]));
        Assert.Equal(0x9000, host.PutData(0xD6, [0x02, 0x20]));
        host.SetAttributes(0xC1, "01 08 00 00 11 00");
        Assert.Equal(0x9000, host.PutData(0xD6, [0x00, 0x20]));
        Assert.Equal(0x6A80, host.PutData(0xD6, [0x05, 0x20]));
    }

    [Fact]
    public void A_nitrokey_3_takes_off_on_and_fixed_only()
    {
        using var card = TestCards.Create(profile: CardProfile.Nitrokey3);
        var host = new PgpHost(card.Connect());
        host.Select();
        host.VerifyAdmin();
        Assert.Equal(0x9000, host.PutData(0xD8, [0x01, 0x20]));
        Assert.Equal(0x6A80, host.PutData(0xD8, [0x03, 0x20]));
        Assert.Equal(0x6A88, host.PutData(0xD9, [0x01, 0x20]));
    }

    [Fact]
    public void Removal_while_waiting_for_a_touch_abandons_the_signature()
    {
        using var card = TestCards.Create(touch: TouchMode.Manual, touchTimeout: TimeSpan.FromSeconds(30));
        var host = Prepare(card, uif: 0x01);
        var sign = Task.Run(() => host.Sign([1]));
        Assert.True(card.Button.WaitUntilWaiting(TimeSpan.FromSeconds(10)));
        card.Unplug();
        var error = Assert.ThrowsAny<AggregateException>(() => sign.Wait(TimeSpan.FromSeconds(10)));
        Assert.IsType<CardRemovedException>(error.InnerException);
        card.Plug();
        var again = new PgpHost(card.Connect());
        again.Select();
        Assert.Equal("00 00 00", Hex.Format(again.GetData(0x93)));
        again.Expect("00 20 00 81", "63 C3");
    }

    [Fact]
    public void Removal_after_a_signature_loses_the_answer_but_the_counter_moved()
    {
        using var card = TestCards.Create();
        var host = Prepare(card, uif: 0x00);
        card.Faults.RemoveDuringNextCommand(0x2A, RemovalPoint.AfterExecution);
        Assert.Throws<CardRemovedException>(() => host.Sign(RandomNumberGenerator.GetBytes(32)));
        card.Plug();
        var again = new PgpHost(card.Connect());
        again.Select();
        Assert.Equal("00 00 01", Hex.Format(again.GetData(0x93)));
    }

    /// <summary>An Ed25519 signature key with the UIF given, PW1 verified for signing.</summary>
    private static PgpHost Prepare(VirtualCard card, byte uif)
    {
        var host = new PgpHost(card.Connect());
        host.Select();
        host.VerifyAdmin();
        host.SetAttributes(0xC1, PgpTemplates.Ed25519);
        host.Generate(0xB6);
        Assert.Equal(0x9000, host.PutData(0xD6, [uif, 0x20]));
        host.VerifyUser(0x81);
        return host;
    }
}
