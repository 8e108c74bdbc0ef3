using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>A decorator on real readers (hw-sim in-process or pcscd): counts the command APDUs sent, per INS.</summary>
internal sealed class CountingReaders(ISmartCardReaders inner) : ISmartCardReaders
{
    private readonly Dictionary<byte, int> _counts = [];
    private readonly Lock _lock = new();

    public int Count(byte ins)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault(ins);
        }
    }

    public IReadOnlyList<string> ReadersWithCard() => inner.ReadersWithCard();

    public ISmartCardConnection? Connect(string reader) => inner.Connect(reader) is { } connection ? new Counting(connection, this) : null;

    public bool WaitForChange(TimeSpan timeout, CancellationToken cancellation) => inner.WaitForChange(timeout, cancellation);

    public void Dispose()
    {
        // The inner readers belong to the rig.
    }

    private void Add(byte ins)
    {
        lock (_lock)
        {
            _counts[ins] = _counts.GetValueOrDefault(ins) + 1;
        }
    }

    private sealed class Counting(ISmartCardConnection inner, CountingReaders owner) : ISmartCardConnection
    {
        public byte[] Transmit(ReadOnlySpan<byte> command)
        {
            owner.Add(command[1]);
            return inner.Transmit(command);
        }

        public IDisposable BeginTransaction() => inner.BeginTransaction();

        public void Dispose() => inner.Dispose();
    }
}
