using System.Buffers;
using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// A valid audit log of <c>records</c> small sealed records, made as it is read (a test holds no copy of it), so what a
/// reader keeps of a log shows. <see cref="Ended"/> is called at the first read that finds the end.
/// </summary>
internal sealed class GeneratedAuditLog(int records, long longSeq = 0, int longLength = 0) : Stream
{
    private readonly AuditBuffer _line = new();
    private int _offset;
    private long _seq;
    private long _position;
    private string _prev = AuditChain.Genesis;
    private bool _ended;

    /// <summary>Called once, at the first read that finds the end (everything was handed out).</summary>
    public Action? Ended { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_offset == _line.WrittenCount && !NextLine())
        {
            if (!_ended)
            {
                _ended = true;
                Ended?.Invoke();
            }

            return 0;
        }

        var n = Math.Min(buffer.Length, _line.WrittenCount - _offset);
        _line.WrittenSpan.Slice(_offset, n).CopyTo(buffer);
        _offset += n;
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _line.Dispose();
        }

        base.Dispose(disposing);
    }

    private bool NextLine()
    {
        if (_seq == records)
        {
            return false;
        }

        _seq++;
        var record = JsonObject.Of(("kind", "test"), ("n", _seq));
        if (_seq == longSeq)
        {
            record = record.With("pad", new string('p', longLength));
        }

        _line.Clear();
        _offset = 0;
        _prev = AuditChain.Seal(record, _seq, _prev, _line);
        _line.Write("\n"u8);
        return true;
    }
}
