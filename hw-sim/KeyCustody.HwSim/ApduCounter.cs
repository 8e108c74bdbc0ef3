namespace KeyCustody.HwSim;

/// <summary>
/// Counts the command APDUs the card received (every one, chained parts and GET RESPONSE included; not the reader's
/// power and ATR messages), in total and per instruction byte, so a test can assert what a client costs per
/// operation. Reset to zero with <see cref="Reset"/>. Holds no data of the commands.
/// </summary>
public sealed class ApduCounter
{
    private readonly object _gate = new();
    private readonly long[] _byIns = new long[256];
    private long _total;

    public long Total
    {
        get { lock (_gate) { return _total; } }
    }

    /// <summary>The count per instruction byte, only those seen, in INS order.</summary>
    public IReadOnlyDictionary<byte, long> ByInstruction()
    {
        lock (_gate)
        {
            var counts = new SortedDictionary<byte, long>();
            for (int ins = 0; ins < _byIns.Length; ins++)
            {
                if (_byIns[ins] > 0)
                {
                    counts[(byte)ins] = _byIns[ins];
                }
            }

            return counts;
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            Array.Clear(_byIns);
            _total = 0;
        }
    }

    internal void Count(ReadOnlySpan<byte> command)
    {
        lock (_gate)
        {
            _total++;
            if (command.Length > 1)
            {
                _byIns[command[1]]++;
            }
        }
    }
}
