using KeyCustody.HwSim.Tests.Support;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Tests.Card;

public sealed class LifecycleTests
{
    [Fact]
    public void Power_cycle_forgets_the_session_but_not_the_card()
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        host.VerifyPin();
        Assert.Equal(0x9000, host.Authenticate());
        host.Expect("00 24 00 81 10 31 32 33 34 35 36 37 38 38 37 36 35 34 33 32 31", "90 00");
        card.PowerOff();
        Assert.Throws<CardResetException>(() => host.Send("00 FD 00 00"));

        host = new PivHost(card.Connect());
        host.Expect("00 FD 00 00", "6D 00");
        host.Select();
        host.Expect("00 20 00 80", "63 C3");
        host.Expect("00 F7 00 81", "01 01 FF 05 01 00 06 02 03 03 90 00");
        host.Expect("00 DB 3F FF 0A 5C 03 5F C1 02 53 03 01 02 03", "69 82");
    }

    [Fact]
    public void Warm_reset_also_forgets_the_session()
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        host.VerifyPin();
        card.WarmReset();
        host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 20 00 80", "63 C3");
    }

    [Fact]
    public void Removal_invalidates_connections_until_reinserted()
    {
        using var card = TestCards.Create();
        var connection = card.Connect();
        card.Unplug();
        Assert.False(card.IsPresent);
        Assert.Throws<CardRemovedException>(() => connection.Transmit(Hex.Parse("00 FD 00 00")));
        Assert.Throws<CardRemovedException>(() => card.Connect());
        card.Plug();
        Assert.Throws<CardRemovedException>(() => connection.Transmit(Hex.Parse("00 FD 00 00")));
        var host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 FD 00 00", "05 07 01 90 00");
    }

    [Fact]
    public void Removal_while_waiting_for_a_touch_abandons_the_command()
    {
        using var card = TestCards.Create(touch: TouchMode.Manual, touchTimeout: TimeSpan.FromSeconds(30));
        var host = new PivHost(card.Connect());
        host.Select();
        Assert.Equal(0x9000, host.Authenticate());
        host.Send("00 47 00 9A 08 AC 06 80 01 E0 AB 01 02");
        host.VerifyPin();
        var sign = Task.Run(() => host.Send("00 87 E0 9A 0B 7C 09 82 00 81 05 68 65 6C 6C 6F"));
        Assert.True(card.Button.WaitUntilWaiting(TimeSpan.FromSeconds(10)));
        card.Unplug();
        var error = Assert.Throws<AggregateException>(() => sign.Wait(TimeSpan.FromSeconds(10)));
        Assert.IsType<CardRemovedException>(error.InnerException);
        card.Plug();
        host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 20 00 80", "63 C3");
    }

    [Fact]
    public void Removal_after_execution_keeps_the_effect_but_loses_the_answer()
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        card.Faults.RemoveDuringNextCommand(0x24);
        host.Expect("00 FD 00 00", "05 07 01 90 00");
        Assert.Throws<CardRemovedException>(() => host.Send("00 24 00 80 10 31 32 33 34 35 36 FF FF 36 35 34 33 32 31 FF FF"));
        Assert.False(card.IsPresent);
        card.Plug();
        host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 20 00 80 08 36 35 34 33 32 31 FF FF", "90 00");
    }

    [Fact]
    public void Removal_before_execution_drops_the_command()
    {
        using var card = TestCards.Create();
        var host = new PivHost(card.Connect());
        host.Select();
        card.Faults.RemoveDuringNextCommand(null, RemovalPoint.BeforeExecution);
        Assert.Throws<CardRemovedException>(() => host.Send("00 24 00 80 10 31 32 33 34 35 36 FF FF 36 35 34 33 32 31 FF FF"));
        card.Plug();
        host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 20 00 80 08 31 32 33 34 35 36 FF FF", "90 00");
    }

    [Fact]
    public void Latency_delays_but_does_not_change_answers()
    {
        using var card = TestCards.Create();
        card.Faults.Latency = TimeSpan.FromMilliseconds(20);
        var host = new PivHost(card.Connect());
        host.Select();
        host.Expect("00 FD 00 00", "05 07 01 90 00");
    }

    [Fact]
    public void Several_cards_have_their_own_serials_and_state()
    {
        using var a = TestCards.Create(serial: 1000001);
        using var b = TestCards.Create(serial: 1000002);
        var hostA = new PivHost(a.Connect());
        var hostB = new PivHost(b.Connect());
        hostA.Select();
        hostB.Select();
        hostA.Expect("00 F8 00 00", "00 0F 42 41 90 00");
        hostB.Expect("00 F8 00 00", "00 0F 42 42 90 00");
        hostA.VerifyPin();
        hostB.Expect("00 20 00 80", "63 C3");
    }
}
