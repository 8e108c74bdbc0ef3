using System.Text.Json;
using KeyCustody.HwSim.Control;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Control;

/// <summary>The APDU counter and its control command (<c>apdus</c>).</summary>
public sealed class ApduCountsTests : IDisposable
{
    private readonly VirtualCard _a = TestCards.Create(serial: 81);
    private readonly VirtualCard _b = TestCards.Create(serial: 82);
    private readonly ControlHandler _handler;

    public ApduCountsTests()
    {
        _handler = new ControlHandler([new SimulatedCard(_a, null), new SimulatedCard(_b, null)]);
    }

    [Fact]
    public void Every_command_apdu_is_counted_per_card_and_per_instruction_and_reset_zeroes_them()
    {
        var host = new PivHost(_a.Connect());
        host.Select();
        host.Send("00 FD 00 00");
        host.Send("00 FD 00 00");
        _a.Connect().Transmit(Hex.Parse("00 F8 00 00"));

        Assert.Equal(4, _a.Apdus.Total);
        Assert.Equal(new Dictionary<byte, long> { [0xA4] = 1, [0xF8] = 1, [0xFD] = 2 }, _a.Apdus.ByInstruction());
        Assert.Equal(0, _b.Apdus.Total);

        using (var reply = JsonDocument.Parse(_handler.Handle("apdus reset serial=81")))
        {
            var card = reply.RootElement.GetProperty("cards").EnumerateArray().Single();
            Assert.Equal(81u, card.GetProperty("serial").GetUInt32());
            Assert.Equal(4, card.GetProperty("total").GetInt64());
            Assert.Equal(2, card.GetProperty("by_ins").GetProperty("fd").GetInt64());
            Assert.Equal(1, card.GetProperty("by_ins").GetProperty("a4").GetInt64());
        }

        Assert.Equal(0, _a.Apdus.Total);
        Assert.Empty(_a.Apdus.ByInstruction());
        Assert.Equal("{\"ok\":true,\"cards\":[{\"serial\":81,\"total\":0,\"by_ins\":{}},{\"serial\":82,\"total\":0,\"by_ins\":{}}]}", _handler.Handle("apdus"));
    }

    [Fact]
    public void Chained_parts_and_get_response_each_count_once()
    {
        var connection = _a.Connect();
        var host = new PivHost(connection);
        host.Select();
        _a.Apdus.Reset();

        // Two chained parts of a PUT DATA would need the management key; a chained VERIFY is simply refused at the end.
        connection.Transmit(Hex.Parse("10 20 00 80 04 31 32 33 34"));
        connection.Transmit(Hex.Parse("00 20 00 80 04 35 36 FF FF"));
        Assert.Equal(2, _a.Apdus.Total);
        Assert.Equal(2, _a.Apdus.ByInstruction()[0x20]);
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
