using System.Buffers;

namespace KeyCustody.Contract.Audit;

/// <summary>
/// A growable byte buffer for audit lines, its arrays from <see cref="ArrayPool{T}.Shared"/>: a batch's intent and outcome
/// records list every payload (about 175 KB for 1,000 objects), and fresh arrays of that size are the large object heap's,
/// whose budget triggers full collections. The audit log keeps one from batch to batch (<see cref="Clear"/>). Audit records
/// hold no secrets, so a returned array is not cleared; only <see cref="WrittenSpan"/> is ever read, never what a previous
/// user left beyond it.
/// </summary>
public sealed class AuditBuffer(int initialCapacity = 4096) : IBufferWriter<byte>, IDisposable
{
    private byte[] _array = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 1));
    private int _written;

    /// <summary>What was written since the buffer was made or <see cref="Clear"/>ed.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _written);

    public int WrittenCount => _written;

    /// <summary>The size of the array it holds now.</summary>
    public int Capacity => _array.Length;

    /// <summary>Starts over (the array is kept).</summary>
    public void Clear() => _written = 0;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _array.Length - _written)
        {
            throw new InvalidOperationException("advanced past the span handed out");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        // Reserve first: it may replace the array.
        var start = Reserve(sizeHint);
        return _array.AsMemory(start);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var start = Reserve(sizeHint);
        return _array.AsSpan(start);
    }

    public void Dispose()
    {
        var array = _array;
        _array = [];
        _written = 0;
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>Makes room for at least <paramref name="sizeHint"/> bytes (one when zero); returns where they start.</summary>
    private int Reserve(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_array.Length == 0, this);
        var needed = Math.Max(sizeHint, 1);
        if (_array.Length - _written < needed)
        {
            var next = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, _written + needed));
            _array.AsSpan(0, _written).CopyTo(next);
            ArrayPool<byte>.Shared.Return(_array);
            _array = next;
        }

        return _written;
    }
}
