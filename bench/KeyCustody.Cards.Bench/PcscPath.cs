using System.Diagnostics;
using KeyCustody.HwSim.Tests.Pcsc;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Cards.Bench;

/// <summary>
/// What pcscd + vpcd add to one command, measured from this process on an idle card: the round trip of GET VERSION
/// through libpcsclite, less the card's own busy time for it. The daemon pays this on every command it sends, and the
/// bench counts it in "added" (a real YubiKey's figures already include their USB and PC/SC round trip).
/// </summary>
internal static class PcscPath
{
    public static (double P50, double P99) MeasureMilliseconds(CardRig rig, int rounds = 200)
    {
        rig.Pcscd.ExportToThisProcess();
        var card = rig.Cards[0];
        using var client = new PcscClient();
        using var connection = client.ConnectWhenPresent(PrivatePcscd.ReaderName(0, 0), TimeSpan.FromSeconds(30));
        connection.Transmit([0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08]);
        card.Activity.Take();
        var added = new List<double>(rounds);
        for (var i = 0; i < rounds; i++)
        {
            long started = Stopwatch.GetTimestamp();
            connection.Transmit([0x00, 0xFD, 0x00, 0x00]);
            double roundTrip = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            added.Add(roundTrip - card.Activity.Take().Sum(b => b.Duration.TotalMilliseconds));
        }

        return (CellResult.Percentile(added, 0.5), CellResult.Percentile(added, 0.99));
    }
}
