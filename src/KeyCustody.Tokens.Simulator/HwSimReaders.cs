using KeyCustody.HwSim;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.Simulator;

/// <summary>
/// hw-sim's in-process cards (APDU in, response out) as readers for the PIV client. Each card sits in
/// its own "reader"; removal and reset become <see cref="TokenRemovedException"/>. Reader names are in
/// reverse order of addition, so nothing can work by position.
/// </summary>
public sealed class HwSimReaders : ISmartCardReaders
{
    private readonly Lock _lock = new();
    private readonly List<VirtualCard> _cards = [];
    private readonly SemaphoreSlim _changed = new(0);

    public void Add(VirtualCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        lock (_lock)
        {
            _cards.Add(card);
        }

        card.PresenceChanged += OnPresenceChanged;
    }

    public IReadOnlyList<string> ReadersWithCard()
    {
        lock (_lock)
        {
            return Enumerable.Range(0, _cards.Count).Reverse().Where(i => _cards[i].IsPresent).Select(i => $"hw-sim reader {i}").ToList();
        }
    }

    public ISmartCardConnection? Connect(string reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        VirtualCard card;
        lock (_lock)
        {
            card = _cards[int.Parse(reader["hw-sim reader ".Length..], System.Globalization.CultureInfo.InvariantCulture)];
        }

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
        lock (_lock)
        {
            foreach (var card in _cards)
            {
                card.PresenceChanged -= OnPresenceChanged;
            }
        }

        _changed.Dispose();
    }

    private void OnPresenceChanged(object? sender, EventArgs e) => _changed.Release();

    private sealed class Connection(CardConnection connection) : ISmartCardConnection
    {
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

        // One in-process caller per card (the daemon serialises operations per token): nothing to lock out.
        public IDisposable BeginTransaction() => NoTransaction.Instance;

        public void Dispose()
        {
        }
    }

    private sealed class NoTransaction : IDisposable
    {
        public static readonly NoTransaction Instance = new();

        public void Dispose()
        {
        }
    }
}
