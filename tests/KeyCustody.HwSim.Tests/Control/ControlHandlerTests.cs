using System.Text.Json;
using KeyCustody.HwSim.Control;
using KeyCustody.HwSim.Tests.Support;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Tests.Control;

public sealed class ControlHandlerTests : IDisposable
{
    private readonly VirtualCard _a = TestCards.Create(serial: 71);
    private readonly VirtualCard _b = TestCards.Create(serial: 72);
    private readonly ControlHandler _handler;

    public ControlHandlerTests()
    {
        _handler = new ControlHandler([new SimulatedCard(_a, null), new SimulatedCard(_b, null)]);
    }

    [Fact]
    public void Status_lists_every_card()
    {
        using var reply = JsonDocument.Parse(_handler.Handle("status"));
        Assert.True(reply.RootElement.GetProperty("ok").GetBoolean());
        var cards = reply.RootElement.GetProperty("cards");
        Assert.Equal([71u, 72u], cards.EnumerateArray().Select(c => c.GetProperty("serial").GetUInt32()).ToArray());
        Assert.Equal("auto", cards[0].GetProperty("touch_mode").GetString());
        Assert.Equal(10, cards[0].GetProperty("management_key_algorithm").GetInt32());
    }

    [Fact]
    public void Mode_unplug_plug_and_latency_apply_to_the_selected_card_only()
    {
        Assert.Equal("{\"ok\":true}", _handler.Handle("mode never timeout=1234 serial=72"));
        Assert.Equal(TouchMode.Never, _b.Button.Mode);
        Assert.Equal(TimeSpan.FromMilliseconds(1234), _b.Button.Timeout);
        Assert.Equal(TouchMode.Auto, _a.Button.Mode);

        Assert.Equal("{\"ok\":true}", _handler.Handle("unplug serial=71"));
        Assert.False(_a.IsPresent);
        Assert.True(_b.IsPresent);
        Assert.Equal("{\"ok\":true}", _handler.Handle("plug"));
        Assert.True(_a.IsPresent);

        Assert.Equal("{\"ok\":true}", _handler.Handle("latency ms=5 serial=71"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), _a.Faults.Latency);
        Assert.Equal(TimeSpan.Zero, _b.Faults.Latency);

        Assert.Equal("{\"ok\":true}", _handler.Handle("unplug during=87 point=before serial=72"));
        Assert.True(_b.Faults.IsRemovalArmed);
        Assert.True(_b.IsPresent);
    }

    [Fact]
    public void Touch_reports_which_cards_were_waiting()
    {
        Assert.Equal("{\"ok\":true,\"touched\":[]}", _handler.Handle("touch"));
    }

    [Theory]
    [InlineData("dance")]
    [InlineData("mode sideways")]
    [InlineData("latency")]
    [InlineData("status serial=99")]
    [InlineData("status serial=abc")]
    [InlineData("unplug during=zz")]
    public void Bad_requests_get_an_error_reply(string request)
    {
        using var reply = JsonDocument.Parse(_handler.Handle(request));
        Assert.False(reply.RootElement.GetProperty("ok").GetBoolean());
        Assert.False(string.IsNullOrEmpty(reply.RootElement.GetProperty("error").GetString()));
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
