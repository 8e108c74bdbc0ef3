using KeyCustody.HwSim;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.Fuzz.HwSim;

/// <summary>
/// A fresh <see cref="VirtualCard"/> per input, fed the APDUs (and a few reader events) the input describes.
/// The card may only answer with data followed by a status word, or throw its own removal/reset exceptions
/// after the harness pulled it out; anything else escaping it is a finding.
/// </summary>
/// <remarks>
/// Input: records. <c>00 e</c>: a reader event (e mod 4: reconnect; unplug, plug, connect; touch mode never with
/// a 1 ms timeout; touch mode auto). <c>FF hi lo data</c>: an APDU of hi*256+lo bytes. <c>n data</c> (n 01..FE):
/// an APDU of n bytes. A record cut short by the end of the input takes what is left.
/// </remarks>
public static class HwSimTarget
{
    private static readonly Lazy<SimulatorRoot> Root = new(() => SimulatorRoot.CreateEphemeral());

    public static void Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var card = VirtualCard.Create(new CardOptions(Root.Value)
        {
            Serial = 11409355,
            Touch = TouchMode.Auto,
            AutoTouchDelay = TimeSpan.Zero,
            TouchTimeout = TimeSpan.FromMilliseconds(1),
        });
        var connection = card.Connect();
        var at = 0;
        while (at < input.Length)
        {
            int length = input[at++];
            if (length == 0)
            {
                var ev = at < input.Length ? input[at++] : 0;
                connection = Event(card, connection, ev & 3);
                continue;
            }

            if (length == 0xFF)
            {
                length = at + 1 < input.Length ? (input[at] << 8) | input[at + 1] : 0;
                at = Math.Min(at + 2, input.Length);
            }

            length = Math.Min(length, input.Length - at);
            var apdu = input.AsSpan(at, length);
            at += length;
            Check(apdu, connection.Transmit(apdu));
        }
    }

    private static CardConnection Event(VirtualCard card, CardConnection connection, int ev)
    {
        switch (ev)
        {
            case 0:
                return card.Connect();
            case 1:
                card.Unplug();
                ExpectRemoved(connection);
                card.Plug();
                return card.Connect();
            case 2:
                card.Button.Configure(TouchMode.Never, timeout: TimeSpan.FromMilliseconds(1));
                return connection;
            default:
                card.Button.Configure(TouchMode.Auto, autoDelay: TimeSpan.Zero);
                return connection;
        }
    }

    /// <summary>A connection made before the card was pulled out must say so, not answer.</summary>
    private static void ExpectRemoved(CardConnection stale)
    {
        try
        {
            stale.Transmit([0x00, 0xFD, 0x00, 0x00]);
        }
        catch (CardRemovedException)
        {
            return;
        }

        throw new FuzzFailure("a connection from before the removal still answered");
    }

    /// <summary>ISO 7816-4: SW1 is 61..6F or 90; an error (64..6F) carries no data; 61xx only follows a command that produced data.</summary>
    private static void Check(ReadOnlySpan<byte> apdu, byte[] response)
    {
        if (response.Length < 2)
        {
            throw new FuzzFailure($"response of {response.Length} byte(s) to {Hex(apdu)}: no status word");
        }

        var sw1 = response[^2];
        var sw2 = response[^1];
        var dataLength = response.Length - 2;
        var known = sw1 is 0x90 or (>= 0x61 and <= 0x6F);
        if (!known || (sw1 == 0x90 && sw2 != 0x00))
        {
            throw new FuzzFailure($"status word {sw1:X2}{sw2:X2} to {Hex(apdu)} is not an ISO 7816-4 one");
        }

        if (sw1 is >= 0x64 and <= 0x6F && dataLength != 0)
        {
            throw new FuzzFailure($"error status {sw1:X2}{sw2:X2} with {dataLength} data bytes to {Hex(apdu)}");
        }

        if (dataLength > 256)
        {
            throw new FuzzFailure($"{dataLength} data bytes in one response to {Hex(apdu)} (the card chains at 256)");
        }

        if (sw1 == 0x61 && dataLength != 256)
        {
            throw new FuzzFailure($"61{sw2:X2} after a chunk of {dataLength} bytes to {Hex(apdu)} (chunks before the last are 256)");
        }
    }

    private static string Hex(ReadOnlySpan<byte> apdu) =>
        apdu.Length <= 16 ? Convert.ToHexString(apdu) : Convert.ToHexString(apdu[..16]) + $"... ({apdu.Length} bytes)";
}
