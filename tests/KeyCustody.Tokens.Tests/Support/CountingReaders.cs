using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>A decorator on real readers (hw-sim in-process or pcscd): counts the command APDUs sent, per INS.</summary>
internal sealed class CountingReaders(ISmartCardReaders inner) : ISmartCardReaders
{
    private readonly Dictionary<byte, int> _counts = [];
    private readonly Dictionary<(byte Ins, byte P1), int> _withP1 = [];
    private readonly Lock _lock = new();

    public int Count(byte ins)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault(ins);
        }
    }

    /// <summary>Commands with this instruction and P1 (VERIFY FF is not VERIFY 00).</summary>
    public int Count(byte ins, byte p1)
    {
        lock (_lock)
        {
            return _withP1.GetValueOrDefault((ins, p1));
        }
    }

    public IReadOnlyList<string> ReadersWithCard() => inner.ReadersWithCard();

    public ISmartCardConnection? Connect(string reader) => inner.Connect(reader) is { } connection ? new Counting(connection, this) : null;

    public bool WaitForChange(TimeSpan timeout, CancellationToken cancellation) => inner.WaitForChange(timeout, cancellation);

    public void Dispose()
    {
        // The inner readers belong to the rig.
    }

    private void Add(byte ins, byte p1)
    {
        lock (_lock)
        {
            _counts[ins] = _counts.GetValueOrDefault(ins) + 1;
            _withP1[(ins, p1)] = _withP1.GetValueOrDefault((ins, p1)) + 1;
        }
    }

    private sealed class Counting(ISmartCardConnection inner, CountingReaders owner) : ISmartCardConnection
    {
        public byte[] Transmit(ReadOnlySpan<byte> command)
        {
            owner.Add(command[1], command[2]);
            return inner.Transmit(command);
        }

        public IDisposable BeginTransaction() => inner.BeginTransaction();

        public void Dispose() => inner.Dispose();
    }
}
