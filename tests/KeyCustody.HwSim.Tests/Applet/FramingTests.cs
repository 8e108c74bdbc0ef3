using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Applet;

public sealed class FramingTests : CardTest
{
    [Fact]
    public void Non_final_chunks_are_answered_9000_and_the_last_carries_the_answer()
    {
        Host.Expect("10 20 00 80 04 31 32 33 34", "90 00");
        Host.Expect("00 20 00 80 04 35 36 FF FF", "90 00");
        Host.Expect("00 20 00 80", "90 00");
    }

    [Fact]
    public void A_chain_broken_by_another_command_is_refused()
    {
        Host.Expect("10 20 00 80 04 31 32 33 34", "90 00");
        Host.Expect("00 24 00 80 04 35 36 FF FF", "68 83");
        Host.Expect("00 20 00 80", "63 C3");
    }

    [Fact]
    public void Get_response_after_the_last_chunk_is_6a80()
    {
        Generate(0x9A, 0x11);
        var (_, sw) = Host.Exchange(0xF9, 0x9A, 0x00, []);
        Assert.Equal(0x9000, sw);
        Host.Expect("00 C0 00 00 00", "6A 80");
    }

    [Fact]
    public void Another_command_discards_a_pending_response()
    {
        Generate(0x9A, 0x11);
        var first = Host.Send("00 F9 9A 00");
        Assert.StartsWith("61", first[^5..], StringComparison.Ordinal);
        Host.Expect("00 FD 00 00", "05 07 01 90 00");
        Host.Expect("00 C0 00 00 00", "6A 80");
    }
}
