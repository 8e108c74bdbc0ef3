using KeyCustody.HwSim.Transport;
using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Base for tests that drive one card with a vendor tool: the card sits in a vpcd slot of the private pcscd (1 unless
/// said otherwise) while the test runs, in a work directory of its own.
/// </summary>
public abstract class CardBehindPcscd : IDisposable
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly VpcdTransport _transport;

    internal CardBehindPcscd(PcscdFixture fixture, VirtualCard card, int slot = 1)
    {
        Pcscd = fixture.Pcscd;
        Card = card;
        Slot = slot;
        _transport = new VpcdTransport(card, Pcscd.Endpoint(slot));
        _transport.Start();
        using var client = new PcscClient();
        Assert.True(client.WaitUntilPresent(PrivatePcscd.ReaderName(slot), Patience), "pcscd did not see the card");
    }

    internal int Slot { get; }

    internal PrivatePcscd Pcscd { get; }

    internal VirtualCard Card { get; }

    internal string Work { get; } = Directory.CreateTempSubdirectory("hwsim-tool-").FullName;

    internal string WorkFile(string name) => Path.Combine(Work, name);

    /// <summary>What a test's tools must end while the card is still there (GnuPG's scdaemon holds it).</summary>
    protected virtual void BeforeRemoval()
    {
    }

    /// <summary>How many APDUs pcscd passed on that start with <paramref name="header"/> (its --apdu log).</summary>
    internal int CountInPcscdLog(string header) =>
        File.ReadAllText(Pcscd.LogPath).Split('\n').Count(line => line.Contains("APDU: " + header, StringComparison.Ordinal));

    public void Dispose()
    {
        BeforeRemoval();
        _transport.Dispose();
        Card.Dispose();
        using var client = new PcscClient();
        Assert.True(client.WaitUntilAbsent(PrivatePcscd.ReaderName(Slot), Patience), "pcscd did not notice the card leaving");
        Directory.Delete(Work, recursive: true);
        GC.SuppressFinalize(this);
    }
}
