using KeyCustody.HwSim;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>
/// The adapter from hw-sim's in-process cards (APDU in, response out) to the PIV client's transport seam. Each
/// card sits in its own "reader"; removal and reset become <see cref="TokenRemovedException"/>.
/// </summary>
internal sealed class HwSimReaders : ISmartCardReaders
{
    private readonly List<VirtualCard> _cards = [];
    private readonly SemaphoreSlim _changed = new(0);

    public void Add(VirtualCard card)
    {
        _cards.Add(card);
        card.PresenceChanged += OnPresenceChanged;
    }

    /// <summary>Reader names deliberately in reverse serial order, so nothing can work by position.</summary>
    public IReadOnlyList<string> ReadersWithCard() =>
        Enumerable.Range(0, _cards.Count).Reverse().Where(i => _cards[i].IsPresent).Select(i => $"hw-sim reader {i}").ToList();

    public ISmartCardConnection? Connect(string reader)
    {
        var card = _cards[int.Parse(reader["hw-sim reader ".Length..])];
        try
        {
            return new Connection(card.Connect());
        }
        catch (CardRemovedException)
        {
            return null;
        }
    }

    public bool WaitForChange(TimeSpan timeout, CancellationToken cancellation) => _changed.Wait(timeout, cancellation);

    public void Dispose()
    {
        foreach (var card in _cards)
        {
            card.PresenceChanged -= OnPresenceChanged;
        }

        _changed.Dispose();
    }

    private void OnPresenceChanged(object? sender, EventArgs e) => _changed.Release();

    private sealed class Connection(CardConnection connection) : ISmartCardConnection
    {
        public int Transactions { get; private set; }

        public byte[] Transmit(ReadOnlySpan<byte> command)
        {
            try
            {
                return connection.Transmit(command);
            }
            catch (Exception e) when (e is CardRemovedException or CardResetException)
            {
                throw TokenErrors.TokenRemoved($"hw-sim {connection.Card.Serial}", e);
            }
        }

        public IDisposable BeginTransaction()
        {
            Transactions++;
            return new Transaction();
        }

        public void Dispose()
        {
        }

        private sealed class Transaction : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }
}
