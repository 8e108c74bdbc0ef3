using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace KeyCustody.Daemon.Audit;

/// <summary>
/// The last lines of the audit log, read from its end: back from <c>end</c> (where the last record on disk ends, after
/// its newline) a chunk at a time until the newline before the first wanted line, then those lines alone. Positioned
/// reads (<c>pread</c>) on the log's own handle: the file position the writer appends at is not touched, and a log renamed
/// under the daemon is still the one read. What it costs does not grow with the log: a few chunks and the lines returned.
/// </summary>
internal static class AuditTail
{
    public const int DefaultChunk = 64 * 1024;

    /// <summary>
    /// The most a tail returns, in bytes: the last records that fit (always the last one). The daemon's answer could not
    /// be larger than 256 MiB anyway, and 10,000 batch intents (a tail's most) are gigabytes.
    /// </summary>
    public const long DefaultMaxBytes = 64L * 1024 * 1024;

    public static List<byte[]> Read(SafeFileHandle file, long end, int count, int chunk = DefaultChunk, Action? reading = null, long maxBytes = DefaultMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        if (end <= 0)
        {
            return [];
        }

        var start = StartOfLast(file, end, count, chunk, maxBytes);
        reading?.Invoke();
        var length = checked((int)(end - start));
        // Not from the shared pool: a tail of many batch records is megabytes, which the pool would keep after it.
        var bytes = new byte[length];
        ReadExactly(file, bytes, start);
        var lines = new List<byte[]>(count);
        var data = bytes.AsSpan();
        while (data.Length > 0)
        {
            var newline = data.IndexOf((byte)'\n');
            var line = newline < 0 ? data : data[..newline];
            lines.Add(line.ToArray());
            data = newline < 0 ? [] : data[(newline + 1)..];
        }

        return lines;
    }

    /// <summary>
    /// Where the <paramref name="count"/>-th line from the end starts (0 when the log has no more lines than that), or the
    /// start of the earliest line that still fits in <paramref name="maxBytes"/> (the last line in any case).
    /// </summary>
    private static long StartOfLast(SafeFileHandle file, long end, int count, int chunk, long maxBytes)
    {
        // The byte before end is the last record's own newline: a line starts after each newline before it, and at 0.
        var found = 0;
        var earliest = end;
        long? start = null;
        bool Found(long lineStart)
        {
            if (found > 0 && end - lineStart > maxBytes)
            {
                start = earliest;
                return false;
            }

            earliest = lineStart;
            start = ++found == count ? lineStart : null;
            return start is null;
        }

        ScanBack(file, end - 1, chunk, lf => Found(lf + 1));
        if (start is null)
        {
            Found(0);
        }

        return start ?? 0;
    }

    /// <summary>
    /// Each LF before <paramref name="end"/>, from the last back, to <paramref name="onNewline"/> (its position) until it
    /// returns false; read a chunk at a time with positioned reads (the file's position is not moved). The start's search
    /// for a torn tail (<see cref="AuditFileRepair"/>) and the tail's for its first record.
    /// </summary>
    public static void ScanBack(SafeFileHandle file, long end, int chunk, Func<long, bool> onNewline)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            var scanned = end;
            while (scanned > 0)
            {
                var n = (int)Math.Min(chunk, scanned);
                var from = scanned - n;
                var span = buffer.AsSpan(0, n);
                ReadExactly(file, span, from);
                for (var i = n - 1; i >= 0; i--)
                {
                    if (span[i] == '\n' && !onNewline(from + i))
                    {
                        return;
                    }
                }

                scanned = from;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> into, long offset)
    {
        while (into.Length > 0)
        {
            var n = RandomAccess.Read(file, into, offset);
            if (n == 0)
            {
                throw new IOException($"the audit log is shorter than the records written to it (read ended at byte {offset})");
            }

            into = into[n..];
            offset += n;
        }
    }
}
