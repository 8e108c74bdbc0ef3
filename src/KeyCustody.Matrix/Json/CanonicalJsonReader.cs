using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace KeyCustody.Matrix.Json;

/// <summary>
/// The strict reader: RFC 8259 syntax restricted to the Matrix canonical-JSON data model. It refuses
/// floats, exponents, leading zeros, integers outside ±(2^53−1), NaN/Infinity, duplicate keys,
/// unpaired surrogates, invalid UTF-8, raw control characters in strings, a byte-order mark, and input
/// deeper or larger than <see cref="CanonicalJsonLimits"/>. <c>-0</c> reads as 0.
/// </summary>
internal ref struct CanonicalJsonReader
{
    private static readonly SearchValues<byte> StringSpecial = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
         0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
         (byte)'"', (byte)'\\']);

    private readonly ReadOnlySpan<byte> _src;
    private readonly byte[] _copy; // one copy of the input that unescaped strings slice into
    private readonly CanonicalJsonLimits _limits;
    private PathSegment[] _path;
    private int _pos;
    private int _depth;

    // Scratch stacks shared by all nesting levels: members of open objects and items of open arrays.
    private JsonString[] _keys;
    private JsonValue[] _values;
    private int[] _offsets;
    private int _top;
    private byte[] _text;

    // The scratch stacks of the last read on this thread, for the next one (a batch reads 1,000 objects in a row).
    [ThreadStatic]
    private static Scratch? t_scratch;

    private CanonicalJsonReader(ReadOnlySpan<byte> src, CanonicalJsonLimits limits, Scratch scratch)
    {
        _src = src;
        _copy = src.Length <= limits.MaxBytes ? src.ToArray() : [];
        _limits = limits;

        // The depth limit is checked on its own (Enter): a path stack longer than this read's limit allows is only unused.
        _path = scratch.Path;
        _keys = scratch.Keys;
        _values = scratch.Values;
        _offsets = scratch.Offsets;
        _text = [];
    }

    public static JsonValue Read(ReadOnlySpan<byte> utf8, CanonicalJsonLimits? limits)
    {
        // Taken, not shared: a read on this thread while this one runs (none does) would get stacks of its own.
        var scratch = t_scratch ?? new Scratch();
        t_scratch = null;
        var reader = new CanonicalJsonReader(utf8, limits ?? CanonicalJsonLimits.Default, scratch);
        try
        {
            return reader.ReadDocument();
        }
        finally
        {
            t_scratch = scratch.Keep(reader._path, reader._keys, reader._values, reader._offsets);
        }
    }

    private JsonValue ReadDocument()
    {
        if (_src.Length > _limits.MaxBytes)
        {
            throw Error(JsonErrorKind.TooLarge, $"input of {_src.Length} bytes is larger than the limit of {_limits.MaxBytes} bytes", _limits.MaxBytes);
        }

        if (_src.StartsWith("\uFEFF"u8))
        {
            throw Error(JsonErrorKind.ByteOrderMark, "a byte-order mark is not allowed", 0);
        }

        SkipWhitespace();
        if (_pos == _src.Length)
        {
            throw Error(JsonErrorKind.UnexpectedEnd, "empty input: expected a JSON value", _pos);
        }

        var value = ReadValue();
        SkipWhitespace();
        if (_pos != _src.Length)
        {
            throw Error(JsonErrorKind.TrailingData, $"unexpected {Describe(_src[_pos])} after the JSON value", _pos);
        }

        return value;
    }

    private JsonValue ReadValue()
    {
        if (_pos >= _src.Length)
        {
            throw Error(JsonErrorKind.UnexpectedEnd, "unexpected end of input: expected a value", _pos);
        }

        switch (_src[_pos])
        {
            case (byte)'{':
                return ReadObject();
            case (byte)'[':
                return ReadArray();
            case (byte)'"':
                return ReadString();
            case (byte)'t':
                return ReadLiteral("true"u8, JsonBoolean.True);
            case (byte)'f':
                return ReadLiteral("false"u8, JsonBoolean.False);
            case (byte)'n':
                return ReadLiteral("null"u8, JsonNull.Instance);
            case (byte)'N':
            case (byte)'I':
                throw Error(JsonErrorKind.NaNOrInfinity, "NaN and Infinity are not JSON", _pos);
            case (byte)'-':
            case >= (byte)'0' and <= (byte)'9':
                return ReadNumber();
            default:
                throw Error(JsonErrorKind.UnexpectedCharacter, $"unexpected {Describe(_src[_pos])}: expected a value", _pos);
        }
    }

    private JsonValue ReadLiteral(ReadOnlySpan<byte> literal, JsonValue value)
    {
        if (!_src[_pos..].StartsWith(literal))
        {
            throw Error(JsonErrorKind.InvalidLiteral, $"invalid literal: expected '{Encoding.ASCII.GetString(literal)}'", _pos);
        }

        _pos += literal.Length;
        return value;
    }

    private JsonInteger ReadNumber()
    {
        var start = _pos;
        var negative = false;
        if (_src[_pos] == '-')
        {
            negative = true;
            _pos++;
            if (_pos == _src.Length)
            {
                throw Error(JsonErrorKind.UnexpectedEnd, "unexpected end of input after '-'", _pos);
            }

            if (_src[_pos] is (byte)'I' or (byte)'N')
            {
                throw Error(JsonErrorKind.NaNOrInfinity, "NaN and Infinity are not JSON", start);
            }

            if (!IsDigit(_src[_pos]))
            {
                throw Error(JsonErrorKind.UnexpectedCharacter, $"unexpected {Describe(_src[_pos])}: expected a digit after '-'", _pos);
            }
        }

        ulong magnitude = 0;
        var digits = 0;
        if (_src[_pos] == '0')
        {
            _pos++;
            digits = 1;
            if (_pos < _src.Length && IsDigit(_src[_pos]))
            {
                throw Error(JsonErrorKind.LeadingZero, "leading zeros are not allowed in numbers", start);
            }
        }
        else
        {
            while (_pos < _src.Length && IsDigit(_src[_pos]))
            {
                if (digits < 19)
                {
                    magnitude = (magnitude * 10) + (ulong)(_src[_pos] - '0');
                }

                digits++;
                _pos++;
            }
        }

        if (_pos < _src.Length)
        {
            var next = _src[_pos];
            if (next == '.')
            {
                throw Error(JsonErrorKind.Float, "floating-point numbers are not allowed in canonical JSON", start);
            }

            if (next is (byte)'e' or (byte)'E')
            {
                throw Error(JsonErrorKind.Exponent, "numbers with exponents are not allowed in canonical JSON", start);
            }
        }

        if (digits > 16 || magnitude > JsonInteger.MaxValue)
        {
            throw Error(JsonErrorKind.IntegerOutOfRange, "integer outside the canonical range ±(2^53−1)", start);
        }

        // "-0" reads as 0: the spec's own example maps it there, and there is no integer negative zero.
        var value = negative ? -(long)magnitude : (long)magnitude;
        return new JsonInteger(value);
    }

    private JsonArray ReadArray()
    {
        var start = _pos;
        Enter(start);
        _pos++;
        SkipWhitespace();
        var first = _top;
        if (_pos < _src.Length && _src[_pos] == ']')
        {
            _pos++;
            Leave();
            return JsonArray.Empty;
        }

        var index = 0;
        while (true)
        {
            _path[_depth - 1] = PathSegment.ForIndex(index++);
            var value = ReadValue();
            Push(null, value, 0);
            SkipWhitespace();
            if (_pos == _src.Length)
            {
                throw Error(JsonErrorKind.UnexpectedEnd, "unexpected end of input: expected ',' or ']'", _pos);
            }

            var c = _src[_pos++];
            if (c == ']')
            {
                break;
            }

            if (c != ',')
            {
                throw Error(JsonErrorKind.UnexpectedCharacter, $"unexpected {Describe(c)}: expected ',' or ']'", _pos - 1);
            }

            SkipWhitespace();
        }

        var items = _values.AsSpan(first, _top - first).ToArray();
        Pop(first);
        Leave();
        return new JsonArray(items, true);
    }

    private JsonObject ReadObject()
    {
        var start = _pos;
        Enter(start);
        _pos++;
        SkipWhitespace();
        var first = _top;
        if (_pos < _src.Length && _src[_pos] == '}')
        {
            _pos++;
            Leave();
            return JsonObject.Empty;
        }

        while (true)
        {
            _path[_depth - 1] = PathSegment.None;
            if (_pos == _src.Length)
            {
                throw Error(JsonErrorKind.UnexpectedEnd, "unexpected end of input: expected a string key", _pos);
            }

            if (_src[_pos] != '"')
            {
                throw Error(JsonErrorKind.UnexpectedCharacter, $"unexpected {Describe(_src[_pos])}: expected a string key", _pos);
            }

            var keyOffset = _pos;
            var key = ReadString();
            SkipWhitespace();
            if (_pos == _src.Length)
            {
                throw Error(JsonErrorKind.UnexpectedEnd, "unexpected end of input: expected ':'", _pos);
            }

            if (_src[_pos] != ':')
            {
                throw Error(JsonErrorKind.UnexpectedCharacter, $"unexpected {Describe(_src[_pos])}: expected ':'", _pos);
            }

            _pos++;
            SkipWhitespace();
            _path[_depth - 1] = PathSegment.ForKey(key);
            var value = ReadValue();
            Push(key, value, keyOffset);
            SkipWhitespace();
            if (_pos == _src.Length)
            {
                throw Error(JsonErrorKind.UnexpectedEnd, "unexpected end of input: expected ',' or '}'", _pos);
            }

            var c = _src[_pos++];
            if (c == '}')
            {
                break;
            }

            if (c != ',')
            {
                throw Error(JsonErrorKind.UnexpectedCharacter, $"unexpected {Describe(c)}: expected ',' or '}}'", _pos - 1);
            }

            SkipWhitespace();
        }

        var n = _top - first;
        var keys = _keys.AsSpan(first, n).ToArray();
        var values = _values.AsSpan(first, n).ToArray();
        var offsets = _offsets.AsSpan(first, n);
        SortMembers(keys, values, offsets);
        for (var i = 1; i < n; i++)
        {
            if (keys[i - 1].Equals(keys[i]))
            {
                _path[_depth - 1] = PathSegment.ForKey(keys[i]);
                throw Error(JsonErrorKind.DuplicateKey, $"duplicate key {Quote(keys[i])}", Math.Max(offsets[i - 1], offsets[i]));
            }
        }

        Pop(first);
        Leave();
        return new JsonObject(keys, values, true);
    }

    /// <summary>Sorts members by key (code point order); input that is already canonical costs one pass.</summary>
    private static void SortMembers(JsonString[] keys, JsonValue[] values, Span<int> offsets)
    {
        var sorted = true;
        for (var i = 1; i < keys.Length && sorted; i++)
        {
            sorted = keys[i - 1].CompareTo(keys[i]) < 0;
        }

        if (sorted)
        {
            return;
        }

        // Insertion sort: objects are small, and it keeps the three arrays in step without allocating.
        for (var i = 1; i < keys.Length; i++)
        {
            var k = keys[i];
            var v = values[i];
            var o = offsets[i];
            var j = i - 1;
            while (j >= 0 && keys[j].CompareTo(k) > 0)
            {
                keys[j + 1] = keys[j];
                values[j + 1] = values[j];
                offsets[j + 1] = offsets[j];
                j--;
            }

            keys[j + 1] = k;
            values[j + 1] = v;
            offsets[j + 1] = o;
        }
    }

    private JsonString ReadString()
    {
        var quote = _pos;
        _pos++;
        var textLength = 0;
        var escaped = false;
        var needsEscaping = false;
        while (true)
        {
            var rest = _src[_pos..];
            var rel = rest.IndexOfAny(StringSpecial);
            if (rel < 0)
            {
                throw Error(JsonErrorKind.UnexpectedEnd, "unterminated string", quote);
            }

            var run = rest[..rel];
            ValidateUtf8(run, _pos);
            var c = rest[rel];
            if (c < 0x20)
            {
                throw Error(JsonErrorKind.ControlCharacterInString, $"raw control character U+{c:X4} in a string (it must be escaped)", _pos + rel);
            }

            if (c == '"' && !escaped)
            {
                var slice = new ReadOnlyMemory<byte>(_copy, _pos, rel);
                _pos += rel + 1;
                return new JsonString(slice, false);
            }

            escaped = true;
            AppendText(ref textLength, run);
            _pos += rel;
            if (c == '"')
            {
                _pos++;
                return new JsonString(_text.AsSpan(0, textLength).ToArray(), needsEscaping);
            }

            needsEscaping |= ReadEscape(ref textLength);
        }
    }

    /// <summary>Decodes one escape at <see cref="_pos"/> (a backslash); true when it yields a character the writer must escape.</summary>
    private bool ReadEscape(ref int textLength)
    {
        var at = _pos;
        if (_pos + 1 >= _src.Length)
        {
            throw Error(JsonErrorKind.UnexpectedEnd, "unterminated escape sequence", at);
        }

        var e = _src[_pos + 1];
        _pos += 2;
        byte simple = e switch
        {
            (byte)'"' => (byte)'"',
            (byte)'\\' => (byte)'\\',
            (byte)'/' => (byte)'/',
            (byte)'b' => 0x08,
            (byte)'f' => 0x0c,
            (byte)'n' => 0x0a,
            (byte)'r' => 0x0d,
            (byte)'t' => 0x09,
            _ => 0,
        };
        if (simple != 0)
        {
            AppendText(ref textLength, [simple]);
            return simple != '/';
        }

        if (e != 'u')
        {
            throw Error(JsonErrorKind.InvalidEscape, $"invalid escape sequence '\\{(char)e}'", at);
        }

        var cp = ReadHex4(at);
        if (cp is >= 0xDC00 and <= 0xDFFF)
        {
            throw Error(JsonErrorKind.UnpairedSurrogate, $"unpaired low surrogate \\u{cp:x4}", at);
        }

        if (cp is >= 0xD800 and <= 0xDBFF)
        {
            if (_pos + 1 >= _src.Length || _src[_pos] != '\\' || _src[_pos + 1] != 'u')
            {
                throw Error(JsonErrorKind.UnpairedSurrogate, $"unpaired high surrogate \\u{cp:x4}", at);
            }

            var lowAt = _pos;
            _pos += 2;
            var low = ReadHex4(lowAt);
            if (low is < 0xDC00 or > 0xDFFF)
            {
                throw Error(JsonErrorKind.UnpairedSurrogate, $"unpaired high surrogate \\u{cp:x4}", at);
            }

            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }

        Span<byte> utf8 = stackalloc byte[4];
        var n = new Rune(cp).EncodeToUtf8(utf8);
        AppendText(ref textLength, utf8[..n]);
        return cp < 0x20 || cp == '"' || cp == '\\';
    }

    private int ReadHex4(int escapeOffset)
    {
        if (_pos + 4 > _src.Length)
        {
            throw Error(JsonErrorKind.InvalidEscape, "truncated \\u escape", escapeOffset);
        }

        var cp = 0;
        for (var i = 0; i < 4; i++)
        {
            var h = _src[_pos + i];
            int d = h switch
            {
                >= (byte)'0' and <= (byte)'9' => h - '0',
                >= (byte)'a' and <= (byte)'f' => h - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => h - 'A' + 10,
                _ => throw Error(JsonErrorKind.InvalidEscape, "invalid hex digit in a \\u escape", escapeOffset),
            };
            cp = (cp << 4) | d;
        }

        _pos += 4;
        return cp;
    }

    private void ValidateUtf8(ReadOnlySpan<byte> run, int runOffset)
    {
        if (Utf8.IsValid(run))
        {
            return;
        }

        var i = 0;
        while (i < run.Length)
        {
            var status = Rune.DecodeFromUtf8(run[i..], out var rune, out var consumed);
            if (status != OperationStatus.Done)
            {
                var what = run[i] is 0xED && i + 1 < run.Length && run[i + 1] >= 0xA0
                    ? "invalid UTF-8 (an encoded UTF-16 surrogate)"
                    : "invalid UTF-8";
                throw Error(JsonErrorKind.InvalidUtf8, what, runOffset + i);
            }

            _ = rune;
            i += consumed;
        }
    }

    private void AppendText(ref int length, scoped ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > _text.Length)
        {
            Array.Resize(ref _text, Math.Max(64, Math.Max(_text.Length * 2, length + bytes.Length)));
        }

        bytes.CopyTo(_text.AsSpan(length));
        length += bytes.Length;
    }

    private void Push(JsonString? key, JsonValue value, int offset)
    {
        if (_top == _values.Length)
        {
            Array.Resize(ref _keys, _top * 2);
            Array.Resize(ref _values, _top * 2);
            Array.Resize(ref _offsets, _top * 2);
        }

        _keys[_top] = key!;
        _values[_top] = value;
        _offsets[_top] = offset;
        _top++;
    }

    private void Pop(int first)
    {
        Array.Clear(_keys, first, _top - first);
        Array.Clear(_values, first, _top - first);
        _top = first;
    }

    private void Enter(int offset)
    {
        if (_depth >= _limits.MaxDepth)
        {
            throw Error(JsonErrorKind.TooDeep, $"nesting deeper than the limit of {_limits.MaxDepth}", offset);
        }

        if (_depth == _path.Length)
        {
            Array.Resize(ref _path, Math.Min(_path.Length * 2, _limits.MaxDepth + 1));
        }

        _path[_depth] = PathSegment.None;
        _depth++;
    }

    private void Leave()
    {
        _depth--;
        _path[_depth] = PathSegment.None;
    }

    private void SkipWhitespace()
    {
        while (_pos < _src.Length && _src[_pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            _pos++;
        }
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static string Describe(byte b) => b is >= 0x21 and < 0x7f ? $"'{(char)b}'" : $"byte 0x{b:x2}";

    private static string Quote(JsonString s) => Encoding.UTF8.GetString(CanonicalJson.Encode(s));

    private readonly CanonicalJsonException Error(JsonErrorKind kind, string detail, int offset)
    {
        var path = new StringBuilder("$");
        for (var i = 0; i < _depth; i++)
        {
            var segment = _path[i];
            if (segment.Kind == PathSegmentKind.None)
            {
                break;
            }

            segment.AppendTo(path);
        }

        return new CanonicalJsonException(kind, detail, offset, path.ToString());
    }

    private enum PathSegmentKind : byte
    {
        None,
        Key,
        Index,
    }

    /// <summary>
    /// The reader's stacks, kept between reads on a thread. Kept cleared: the stacks hold nothing of a read once it ended
    /// (no object of one document is kept alive by the next, or read by it); stacks grown past <see cref="KeptLength"/>
    /// by an unusually wide or deep document are dropped.
    /// </summary>
    private sealed class Scratch
    {
        private const int KeptLength = 256;

        public PathSegment[] Path { get; private set; } = new PathSegment[8];

        public JsonString[] Keys { get; private set; } = new JsonString[8];

        public JsonValue[] Values { get; private set; } = new JsonValue[8];

        public int[] Offsets { get; private set; } = new int[8];

        /// <summary>Takes the stacks as a read left them (grown, perhaps, and not yet cleared after an error); null when they are too big to keep.</summary>
        public Scratch? Keep(PathSegment[] path, JsonString[] keys, JsonValue[] values, int[] offsets)
        {
            if (path.Length > KeptLength || values.Length > KeptLength)
            {
                return null;
            }

            Array.Clear(path);
            Array.Clear(keys);
            Array.Clear(values);
            (Path, Keys, Values, Offsets) = (path, keys, values, offsets);
            return this;
        }
    }

    private readonly record struct PathSegment(PathSegmentKind Kind, JsonString? Key, int Index)
    {
        public static PathSegment None => default;

        public static PathSegment ForKey(JsonString key) => new(PathSegmentKind.Key, key, 0);

        public static PathSegment ForIndex(int index) => new(PathSegmentKind.Index, null, index);

        public void AppendTo(StringBuilder sb)
        {
            if (Kind == PathSegmentKind.Index)
            {
                sb.Append('[').Append(Index).Append(']');
                return;
            }

            var name = Key!.Value;
            if (name.Length > 0 && IsIdentifierStart(name[0]) && name.All(IsIdentifierPart))
            {
                sb.Append('.').Append(name);
            }
            else
            {
                sb.Append('[').Append(Quote(Key)).Append(']');
            }
        }

        private static bool IsIdentifierStart(char c) => c is '_' or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');

        private static bool IsIdentifierPart(char c) => IsIdentifierStart(c) || c is >= '0' and <= '9';
    }
}
