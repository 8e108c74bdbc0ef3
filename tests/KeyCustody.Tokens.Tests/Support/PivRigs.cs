using KeyCustody.HwSim;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Touch;
using KeyCustody.HwSim.Transport;
using KeyCustody.Tests.Shared;
using KeyCustody.Tokens.Pcsc;
using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Simulator;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>Where the virtual YubiKeys of a test sit: in-process, or in vpcd slots behind a real pcscd.</summary>
public abstract class PivRig : IDisposable
{
    private static readonly Lazy<SimulatorRoot> SharedRoot = new(() => SimulatorRoot.CreateEphemeral());

    protected List<VirtualCard> Cards { get; } = [];

    public static SimulatorRoot Root => SharedRoot.Value;

    public abstract ISmartCardReaders Readers { get; }

    /// <summary>How long to wait for the middleware to see an insertion or removal.</summary>
    public static TimeSpan Patience => TimeSpan.FromSeconds(20);

    public VirtualCard Insert(uint serial, TouchMode touch = TouchMode.Auto, TimeSpan? touchTimeout = null, ManagementKeyAlgorithm managementKey = ManagementKeyAlgorithm.Aes192, CardProfile? profile = null)
    {
        var card = Create(serial, touch, touchTimeout, managementKey, profile);
        Attach(card);
        return card;
    }

    /// <summary>A card of this rig not yet in a reader (prepare it in-process, then <see cref="Attach"/> it).</summary>
    public VirtualCard Create(uint serial, TouchMode touch = TouchMode.Auto, TimeSpan? touchTimeout = null, ManagementKeyAlgorithm managementKey = ManagementKeyAlgorithm.Aes192, CardProfile? profile = null)
    {
        var card = VirtualCard.Create(new CardOptions(Root)
        {
            Serial = serial,
            ManagementKeyAlgorithm = managementKey,
            Profile = profile,
            Touch = touch,
            AutoTouchDelay = TimeSpan.FromMilliseconds(20),
            TouchTimeout = touchTimeout ?? TimeSpan.FromMilliseconds(500),
        });
        Cards.Add(card);
        return card;
    }

    /// <summary>Puts a card made with <see cref="Create"/> into a reader.</summary>
    public abstract void Attach(VirtualCard card);

    public virtual void Dispose()
    {
        foreach (var card in Cards)
        {
            card.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>Cards answer APDUs in-process through <see cref="HwSimReaders"/>.</summary>
public sealed class InProcessRig : PivRig
{
    private readonly HwSimReaders _readers = new();

    public override ISmartCardReaders Readers => _readers;

    public override void Attach(VirtualCard card) => _readers.Add(card);

    public override void Dispose()
    {
        _readers.Dispose();
        base.Dispose();
    }
}

/// <summary>Cards connect to the private pcscd's vpcd slots (at most two); the client goes through libpcsclite.</summary>
public sealed class PcscRig : PivRig
{
    private readonly PrivatePcscd _pcscd;
    private readonly List<VpcdTransport> _transports = [];
    private readonly PcscReaders _readers = PcscReaders.Open();

    internal PcscRig(PrivatePcscd pcscd)
    {
        _pcscd = pcscd;
        WaitUntil(() => _readers.ReadersWithCard().Count == 0, "a card of an earlier test is still in a reader");
    }

    public override ISmartCardReaders Readers => _readers;

    public override void Attach(VirtualCard card)
    {
        var transport = new VpcdTransport(card, _pcscd.Endpoint(_transports.Count));
        _transports.Add(transport);
        transport.Start();
        if (!transport.WaitUntilConnected(Patience))
        {
            throw new InvalidOperationException("the simulated card did not reach vpcd");
        }

        int expected = Cards.Count(c => c.IsPresent);
        WaitUntil(() => _readers.ReadersWithCard().Count >= expected, "pcscd did not see the inserted card");
    }

    public override void Dispose()
    {
        foreach (var transport in _transports)
        {
            transport.Dispose();
        }

        base.Dispose();
        WaitUntil(() => _readers.ReadersWithCard().Count == 0, "pcscd did not see the cards leave");
        _readers.Dispose();
    }

    private void WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException(failure);
            }

            _readers.WaitForChange(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        }
    }
}
