namespace KeyCustody.Contract.Audit;

/// <summary>
/// Reads an audit log's LF-separated lines one at a time through one buffer, so reading a log takes memory bounded by its
/// longest line, not by the file (a log grows to gigabytes: two records per signature). The buffer grows, by doubling, only
/// when one line does not fit, so it stays below twice the longest line (or its initial size). It is the reader's own, not
/// the shared pool's: a pooled array would stay in the pool after the start, against the daemon's idle memory.
/// </summary>
/// <param name="stream">The log, read from where it stands.</param>
/// <param name="initialBufferSize">The buffer's size to begin with (tests make it small to cross reads).</param>
/// <param name="maxLineLength">The longest line it reads (at most the largest array; tests make it small): a longer one is
/// refused as bad data, <see cref="InvalidDataException"/>.</param>
public sealed class AuditLineReader(Stream stream, int initialBufferSize = AuditLineReader.DefaultBufferSize, int maxLineLength = int.MaxValue)
{
    public const int DefaultBufferSize = 64 * 1024;

    private readonly Stream _stream = stream ?? throw new ArgumentNullException(nameof(stream));
    private readonly int _maxBuffer = Math.Clamp(maxLineLength, 1, Array.MaxLength);
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(initialBufferSize, 1));
    private int _start;
    private int _end;
    private int _scanned;
    private bool _ended;

    /// <summary>The size of the buffer it holds now (it never shrinks: the largest it held).</summary>
    public int BufferSize => _buffer.Length;

    /// <summary>
    /// The next line, without its LF; false at the end of the stream. The span is valid until the next call. Bytes after the
    /// last LF are no line: they are <see cref="TornTail"/>.
    /// </summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var lf = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var at = _scanned + lf;
                line = _buffer.AsSpan(_start, at - _start);
                _start = _scanned = at + 1;
                return true;
            }

            _scanned = _end;
            if (_ended || !Fill())
            {
                line = default;
                return false;
            }
        }
    }

    /// <summary>Once <see cref="TryReadLine"/> returned false: the bytes after the last LF (empty when the data ends with LF).</summary>
    public ReadOnlySpan<byte> TornTail => _ended
        ? _buffer.AsSpan(_start, _end - _start)
        : throw new InvalidOperationException("the torn tail is known only once every line was read");

    /// <summary>Reads more after what is buffered: keeps the unfinished line, moved to the front, and grows only when it fills the buffer.</summary>
    private bool Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            (_end, _scanned, _start) = (_end - _start, _scanned - _start, 0);
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= _maxBuffer)
            {
                throw new InvalidDataException($"a line of the audit log is longer than {_maxBuffer} bytes (no audit record is)");
            }

            var grown = GC.AllocateUninitializedArray<byte>((int)Math.Min(_buffer.Length * 2L, _maxBuffer));
            _buffer.AsSpan(0, _end).CopyTo(grown);
            _buffer = grown;
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        _end += read;
        _ended = read == 0;
        return !_ended;
    }
}
