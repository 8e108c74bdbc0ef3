using System.Buffers;

namespace KeyCustody.Matrix.Json;

/// <summary>
/// The canonical writer. Its rules: object keys in code-point order (the tree keeps them so); no
/// insignificant whitespace; integers in shortest decimal form; strings as raw UTF-8 except the seven
/// short escapes (<c>\" \\ \b \t \n \f \r</c>) and <c>\u00xx</c> with lowercase hex for the other C0
/// controls. The buffer is pooled; callers copy out what they keep and dispose the writer.
/// </summary>
internal struct CanonicalJsonWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public CanonicalJsonWriter(int initialCapacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        _length = 0;
    }

    public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _length = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void WriteValue(JsonValue value)
    {
        switch (value)
        {
            case JsonObject o:
                WriteObject(o, skipSigningMembers: false);
                break;
            case JsonArray a:
                WriteArray(a);
                break;
            case JsonString s:
                WriteString(s);
                break;
            case JsonInteger i:
                WriteInteger(i.Value);
                break;
            case JsonBoolean b:
                WriteRaw(b.Value ? "true"u8 : "false"u8);
                break;
            case JsonNull:
                WriteRaw("null"u8);
                break;
            default:
                throw new ArgumentException("unknown JSON value type", nameof(value));
        }
    }

    /// <summary>Writes an object; with <paramref name="skipSigningMembers"/>, leaves out its own <c>signatures</c> and <c>unsigned</c>.</summary>
    public void WriteObject(JsonObject obj, bool skipSigningMembers)
    {
        var keys = obj.Keys;
        var values = obj.Values;
        WriteByte((byte)'{');
        var first = true;
        for (var i = 0; i < keys.Length; i++)
        {
            if (skipSigningMembers && IsSigningMember(keys[i].Utf8Bytes))
            {
                continue;
            }

            if (!first)
            {
                WriteByte((byte)',');
            }

            first = false;
            WriteString(keys[i]);
            WriteByte((byte)':');
            WriteValue(values[i]);
        }

        WriteByte((byte)'}');
    }

    internal static bool IsSigningMember(ReadOnlySpan<byte> key) => key.SequenceEqual("signatures"u8) || key.SequenceEqual("unsigned"u8);

    private void WriteArray(JsonArray array)
    {
        WriteByte((byte)'[');
        var items = array.Items;
        for (var i = 0; i < items.Length; i++)
        {
            if (i > 0)
            {
                WriteByte((byte)',');
            }

            WriteValue(items[i]);
        }

        WriteByte((byte)']');
    }

    private void WriteString(JsonString s)
    {
        var utf8 = s.Utf8Bytes;
        if (!s.NeedsEscaping)
        {
            var span = Reserve(utf8.Length + 2);
            span[0] = (byte)'"';
            utf8.CopyTo(span[1..]);
            span[utf8.Length + 1] = (byte)'"';
            _length += utf8.Length + 2;
            return;
        }

        WriteByte((byte)'"');
        while (true)
        {
            var i = utf8.IndexOfAny(CanonicalJson.MustEscape);
            if (i < 0)
            {
                WriteRaw(utf8);
                break;
            }

            WriteRaw(utf8[..i]);
            WriteEscape(utf8[i]);
            utf8 = utf8[(i + 1)..];
        }

        WriteByte((byte)'"');
    }

    private void WriteEscape(byte c)
    {
        ReadOnlySpan<byte> shortEscape = c switch
        {
            (byte)'"' => "\\\""u8,
            (byte)'\\' => "\\\\"u8,
            0x08 => "\\b"u8,
            0x09 => "\\t"u8,
            0x0a => "\\n"u8,
            0x0c => "\\f"u8,
            0x0d => "\\r"u8,
            _ => default,
        };
        if (!shortEscape.IsEmpty)
        {
            WriteRaw(shortEscape);
            return;
        }

        const string hex = "0123456789abcdef";
        var span = Reserve(6);
        "\\u00"u8.CopyTo(span);
        span[4] = (byte)hex[c >> 4];
        span[5] = (byte)hex[c & 0xf];
        _length += 6;
    }

    private void WriteInteger(long value)
    {
        var span = Reserve(20);
        value.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        _length += written;
    }

    private void WriteByte(byte b)
    {
        if (_length == _buffer.Length)
        {
            Grow(1);
        }

        _buffer[_length++] = b;
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count)
        {
            Grow(count);
        }

        return _buffer.AsSpan(_length);
    }

    private void Grow(int needed)
    {
        var next = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + needed));
        _buffer.AsSpan(0, _length).CopyTo(next);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = next;
    }
}
