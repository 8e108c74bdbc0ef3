using System.Diagnostics;
using KeyCustody.HwSim.Tests.Support;
using KeyCustody.HwSim.Transport;
using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// A private pcscd with two vpcd readers (four cards, as bench/run-cards.sh uses up to eight): each reader loads its
/// own copy of the vpcd driver, so every card is reachable by its own reader name.
/// </summary>
public sealed class MultiReaderTests
{
    [Fact]
    public void Four_cards_on_two_vpcd_readers_each_answer_on_their_own_reader()
    {
        using var pcscd = new PrivatePcscd("hwsim-multi-pcscd-", readers: 2);
        var cards = new List<VirtualCard>();
        var transports = new List<VpcdTransport>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                cards.Add(TestCards.Create(serial: 5560000 + (uint)i));
                transports.Add(new VpcdTransport(cards[i], pcscd.Endpoint(i / 2, i % 2)));
                transports[i].Start();
            }

            for (int i = 0; i < 4; i++)
            {
                var reader = PrivatePcscd.ReaderName(i / 2, i % 2);
                Assert.Contains($"Serial Number:\t{5560000 + i}", StatusWhenPresent(pcscd, reader));
            }
        }
        finally
        {
            transports.ForEach(t => t.Dispose());
            cards.ForEach(c => c.Dispose());
        }
    }

    /// <summary>`yubico-piv-tool -a status` on one reader, again until pcscd has seen the card (its presence poll is 0.4 s).</summary>
    private static string StatusWhenPresent(PrivatePcscd pcscd, string reader)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var start = new ProcessStartInfo("/usr/bin/yubico-piv-tool") { RedirectStandardOutput = true, RedirectStandardError = true };
            pcscd.AddTo(start);
            start.ArgumentList.Add("--reader=" + reader);
            start.ArgumentList.Add("-a");
            start.ArgumentList.Add("status");
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(30_000), "yubico-piv-tool hung");
            if (process.ExitCode == 0 || DateTime.UtcNow > deadline)
            {
                Assert.True(process.ExitCode == 0, $"no card on {reader}: {output.Result}{error.Result}\n{pcscd.Log}");
                return output.Result;
            }

            Thread.Sleep(100);
        }
    }
}
