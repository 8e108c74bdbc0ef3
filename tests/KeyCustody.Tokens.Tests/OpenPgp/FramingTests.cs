using KeyCustody.Tokens.OpenPgp.Apdu;
using KeyCustody.Tokens.OpenPgp.Commands;
using KeyCustody.Tokens.OpenPgp;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.OpenPgp;

/// <summary>How <see cref="PgpChannel"/> frames long commands (extended, chained) and collects chained answers.</summary>
public sealed class FramingTests
{
    private static readonly byte[] Long = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();

    [Fact]
    public void Extended_apdu_when_the_card_announces_it()
    {
        var transport = new ScriptedTransport("90 00");
        new PgpChannel(transport) { LongCommands = LongCommands.Extended }.Transmit(SignCommands.Build(OpenPgpKeySlot.Signature, Long));
        var sent = Hex.Parse(Assert.Single(transport.Sent));
        Assert.Equal("00 2A 9E 9A 00 01 2C", Hex.Format(sent.AsSpan(0, 7)));
        Assert.Equal(Long, sent.AsSpan(7, 300).ToArray());
        Assert.Equal("00 00", Hex.Format(sent.AsSpan(307)));
    }

    [Fact]
    public void Chained_when_the_card_only_chains()
    {
        var transport = new ScriptedTransport("90 00", "90 00");
        new PgpChannel(transport) { LongCommands = LongCommands.Chained }.Transmit(SignCommands.Build(OpenPgpKeySlot.Authentication, Long));
        Assert.Equal(2, transport.Sent.Count);
        Assert.StartsWith("10 88 00 00 FF 00 01", transport.Sent[0], StringComparison.Ordinal);
        Assert.Equal(5 + 255, Hex.Parse(transport.Sent[0]).Length); // no Le on a chunk that is not the last
        Assert.StartsWith("00 88 00 00 2D FF 00", transport.Sent[1], StringComparison.Ordinal);
        Assert.EndsWith("2B 00", transport.Sent[1], StringComparison.Ordinal); // the last chunk carries Le
    }

    [Fact]
    public void A_long_command_never_reaches_a_card_that_takes_neither()
    {
        var transport = new ScriptedTransport();
        Assert.Throws<InvalidOperationException>(() => new PgpChannel(transport).Transmit(SignCommands.Build(OpenPgpKeySlot.Signature, Long)));
        Assert.Empty(transport.Sent);
    }

    [Fact]
    public void Chained_answers_are_collected_with_get_response()
    {
        // As the 5.4.3 answered GET DATA 6E with a short Le: 256 bytes and 61 3B, then the rest.
        var first = string.Join(' ', Enumerable.Repeat("11", 256)) + " 61 3B";
        var second = string.Join(' ', Enumerable.Repeat("22", 59)) + " 90 00";
        var transport = new ScriptedTransport(first, second);
        var response = new PgpChannel(transport).Transmit(DataCommands.Get(0x006E));
        Assert.Equal(["00 CA 00 6E 00", "00 C0 00 00 3B"], transport.Sent);
        Assert.Equal(315, response.Data.Length);
        Assert.True(response.IsSuccess);
    }
}
