using KeyCustody.HwSim;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Transport;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Cards.Bench;

/// <summary>
/// A private pcscd with a vpcd reader per two cards, and the hw-sim cards in this process: each takes a YubiKey's
/// time per command (<see cref="CardTiming.YubiKey5"/>, unless told otherwise) and records when it is busy.
/// </summary>
internal sealed class CardRig : IDisposable
{
    public const uint FirstSerial = 31_000_001;

    private readonly SimulatorRoot _root = SimulatorRoot.CreateEphemeral();
    private readonly List<VpcdTransport> _transports = [];

    public CardRig(int cards, CardTiming timing)
    {
        Pcscd = new PrivatePcscd("keycustody-cards-bench-pcscd-", readers: (cards + 1) / 2);
        try
        {
            for (var i = 0; i < cards; i++)
            {
                var card = VirtualCard.Create(new CardOptions(_root) { Serial = FirstSerial + (uint)i, Timing = timing });
                card.Activity.Recording = true;
                Cards.Add(card);
                var transport = new VpcdTransport(card, Pcscd.Endpoint(i / 2, i % 2));
                _transports.Add(transport);
                transport.Start();
            }

            foreach (var transport in _transports)
            {
                if (!transport.WaitUntilConnected(TimeSpan.FromSeconds(30)))
                {
                    throw new InvalidOperationException($"card on {transport.Endpoint} did not reach vpcd; pcscd log: {Pcscd.LogPath}");
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public PrivatePcscd Pcscd { get; }

    public List<VirtualCard> Cards { get; } = [];

    public void Dispose()
    {
        _transports.ForEach(t => t.Dispose());
        Cards.ForEach(c => c.Dispose());
        Pcscd.Dispose();
        _root.Dispose();
    }
}
