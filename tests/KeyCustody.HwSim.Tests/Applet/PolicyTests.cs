using KeyCustody.HwSim.Tests.Support;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class PolicyTests
{
    private static readonly byte[] Hello = "hello"u8.ToArray();

    [Fact]
    public void Pin_once_needs_one_verification_per_session()
    {
        using var t = new Fixture();
        t.Generate(0x9A, 0xE0, pin: 0x02);
        Assert.Equal(0x6982, t.Sign(0xE0, 0x9A, Hello).Sw);
        t.Host.VerifyPin();
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
    }

    [Fact]
    public void Pin_always_is_consumed_by_the_next_private_key_operation()
    {
        using var t = new Fixture();
        t.Generate(0x9C, 0xE0, pin: 0x03);
        t.Host.VerifyPin();
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9C, Hello).Sw);
        Assert.Equal(0x6982, t.Sign(0xE0, 0x9C, Hello).Sw);
        t.Host.VerifyPin();
        t.Host.Expect("00 FD 00 00", "05 07 01 90 00");
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9C, Hello).Sw);
    }

    [Fact]
    public void Pin_always_is_consumed_even_by_an_operation_on_another_key()
    {
        using var t = new Fixture();
        t.Generate(0x9C, 0xE0, pin: 0x03);
        t.Generate(0x9E, 0xE0, pin: 0x01);
        t.Host.VerifyPin();
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9E, Hello).Sw);
        Assert.Equal(0x6982, t.Sign(0xE0, 0x9C, Hello).Sw);
    }

    [Fact]
    public void Pin_never_signs_without_verification()
    {
        using var t = new Fixture();
        t.Generate(0x9E, 0xE0);
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9E, Hello).Sw);
    }

    [Fact]
    public void Touch_always_times_out_with_6982_when_nobody_touches()
    {
        using var t = new Fixture(TouchMode.Never);
        t.Generate(0x9A, 0xE0, pin: 0x01, touch: 0x02);
        Assert.Equal(0x6982, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(1, t.Card.Button.Requests);
    }

    [Fact]
    public void Touch_always_asks_for_every_operation_and_auto_mode_touches()
    {
        using var t = new Fixture(TouchMode.Auto);
        t.Generate(0x9A, 0xE0, pin: 0x01, touch: 0x02);
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(2, t.Card.Button.Requests);
    }

    [Fact]
    public void Pin_is_checked_before_the_touch()
    {
        using var t = new Fixture(TouchMode.Auto);
        t.Generate(0x9A, 0xE0, pin: 0x02, touch: 0x02);
        Assert.Equal(0x6982, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(0, t.Card.Button.Requests);
    }

    [Fact]
    public async Task Manual_touch_completes_the_operation_and_the_card_answers_nothing_else_meanwhile()
    {
        using var t = new Fixture(TouchMode.Manual, touchTimeout: TimeSpan.FromSeconds(30));
        t.Generate(0x9A, 0xE0, pin: 0x01, touch: 0x02);

        // The order is the card's own: its busy intervals are recorded under its command lock, as it executes them (the
        // order in which the two test threads wake up after their answers is the scheduler's, and was once "version"
        // first although the card had answered "sign" first).
        t.Card.Activity.Recording = true;
        var sign = Task.Run(() => t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.True(t.Card.Button.WaitUntilWaiting(TimeSpan.FromSeconds(10)));
        t.Card.Activity.Take(); // the commands before the one waiting for the touch (a PIN's, if any)
        var connection = t.Card.Connect();
        var version = Task.Run(() => Hex.Format(connection.Transmit(Hex.Parse("00 FD 00 00"))));
        Assert.True(t.Card.Button.Touch());
        Assert.Equal(0x9000, await sign);
        Assert.Equal("05 07 01 90 00", await version);
        // Two commands since: the signature (begun before the version was sent) and the version, in the card's order.
        var order = t.Card.Activity.Take();
        Assert.Equal(2, order.Count);
        Assert.True(order[0].Start < order[1].Start, "the card finished the version command before the signature waiting for its touch");
        Assert.True(order[1].Start >= order[0].End, "the card began the version command before the signature waiting for its touch had ended");
        Assert.False(t.Card.Button.Touch());
    }

    [Fact]
    public void Cached_touch_is_valid_for_15_seconds()
    {
        var time = new ManualTime();
        using var t = new Fixture(TouchMode.Auto, time: time);
        t.Generate(0x9A, 0xE0, pin: 0x01, touch: 0x03);
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(1, t.Card.Button.Requests);
        time.Advance(TimeSpan.FromSeconds(14));
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(1, t.Card.Button.Requests);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(2, t.Card.Button.Requests);
    }

    /// <summary>The window is the card's option (a daemon's simulator token sets it with touchCacheSeconds); a YubiKey's is 15 s.</summary>
    [Fact]
    public void Cached_touch_lasts_the_cards_configured_window()
    {
        var time = new ManualTime();
        using var t = new Fixture(TouchMode.Auto, time: time, touchCacheWindow: TimeSpan.FromSeconds(600));
        t.Generate(0x9A, 0xE0, pin: 0x01, touch: 0x03);
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        time.Advance(TimeSpan.FromSeconds(599));
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(1, t.Card.Button.Requests);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        Assert.Equal(2, t.Card.Button.Requests);
    }

    [Fact]
    public void Cached_touch_is_forgotten_on_power_cycle()
    {
        var time = new ManualTime();
        using var t = new Fixture(TouchMode.Auto, time: time);
        t.Generate(0x9A, 0xE0, pin: 0x01, touch: 0x03);
        Assert.Equal(0x9000, t.Sign(0xE0, 0x9A, Hello).Sw);
        t.Card.PowerOff();
        var host = new PivHost(t.Card.Connect());
        host.Select();
        var (_, sw) = host.Exchange(0x87, 0xE0, 0x9A, Support.CardTestAccess.GeneralAuthenticate(0x81, Hello));
        Assert.Equal(0x9000, sw);
        Assert.Equal(2, t.Card.Button.Requests);
    }

    private sealed class Fixture : CardTest
    {
        public Fixture(TouchMode touch = TouchMode.Auto, TimeSpan? touchTimeout = null, TimeProvider? time = null, TimeSpan? touchCacheWindow = null)
            : base(touch, time: time, touchCacheWindow: touchCacheWindow)
        {
            if (touchTimeout is { } timeout)
            {
                Card.Button.Configure(touch, timeout: timeout);
            }
        }
    }
}
