using KeyCustody.HwSim.Transport;
using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Base for tests that drive one card with a vendor tool: the card sits in vpcd slot 1 of the private pcscd while the
/// test runs, in a work directory of its own.
/// </summary>
public abstract class CardBehindPcscd : IDisposable
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly VpcdTransport _transport;

    internal CardBehindPcscd(PcscdFixture fixture, VirtualCard card)
    {
        Pcscd = fixture.Pcscd;
        Card = card;
        _transport = new VpcdTransport(card, Pcscd.Endpoint(1));
        _transport.Start();
        using var client = new PcscClient();
        Assert.True(client.WaitUntilPresent(PrivatePcscd.ReaderName(1), Patience), "pcscd did not see the card");
    }

    internal PrivatePcscd Pcscd { get; }

    internal VirtualCard Card { get; }

    internal string Work { get; } = Directory.CreateTempSubdirectory("hwsim-tool-").FullName;

    internal string WorkFile(string name) => Path.Combine(Work, name);

    /// <summary>How many APDUs pcscd passed on that start with <paramref name="header"/> (its --apdu log).</summary>
    internal int CountInPcscdLog(string header) =>
        File.ReadAllText(Pcscd.LogPath).Split('\n').Count(line => line.Contains("APDU: " + header, StringComparison.Ordinal));

    public void Dispose()
    {
        _transport.Dispose();
        Card.Dispose();
        using var client = new PcscClient();
        Assert.True(client.WaitUntilAbsent(PrivatePcscd.ReaderName(1), Patience), "pcscd did not notice the card leaving");
        Directory.Delete(Work, recursive: true);
        GC.SuppressFinalize(this);
    }
}
