using System.Text;
using System.Text.Unicode;

namespace KeyCustody.Matrix.Json;

/// <summary>
/// A JSON string. It is held as well-formed UTF-8 (never a surrogate code point), which is also the
/// form canonical JSON writes and the form whose byte order is code-point order.
/// </summary>
public sealed class JsonString : JsonValue
{
    // Strings read from a document share one copy of it; the reader validated every slice.
    private readonly ReadOnlyMemory<byte> _utf8;
    private string? _value;

    /// <summary>Creates a string value; throws when <paramref name="value"/> contains an unpaired surrogate.</summary>
    public JsonString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);

        // Encoded once, into an array of the exact size (a lone surrogate counts as U+FFFD there, and stops the strict encoding).
        var utf8 = new byte[Encoding.UTF8.GetByteCount(value)];
        if (Utf8.FromUtf16(value, utf8, out _, out _, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
        {
            throw new ArgumentException("the string contains an unpaired surrogate, which canonical JSON cannot represent", nameof(value));
        }

        _utf8 = utf8;
        _value = value;
        NeedsEscaping = ComputeNeedsEscaping(_utf8.Span);
    }

    /// <summary>Wraps bytes already known to be well-formed UTF-8 (the reader validated them). The memory is never written again.</summary>
    internal JsonString(ReadOnlyMemory<byte> validatedUtf8, bool needsEscaping)
    {
        _utf8 = validatedUtf8;
        NeedsEscaping = needsEscaping;
    }

    /// <summary>The lowercase hex of <paramref name="bytes"/> as a JSON string (a hash in an audit record), made from its ASCII bytes directly.</summary>
    public static JsonString LowerHex(ReadOnlySpan<byte> bytes)
    {
        var ascii = new byte[bytes.Length * 2];
        Convert.TryToHexStringLower(bytes, ascii, out _);
        return FromOwnedAscii(ascii);
    }

    /// <summary>Wraps printable ASCII the caller made and will not touch again (base64, hex): nothing to check or escape.</summary>
    internal static JsonString FromOwnedAscii(byte[] ascii) => new(ascii, needsEscaping: false);

    public override JsonKind Kind => JsonKind.String;

    /// <summary>The string's UTF-8 bytes (no quotes, no escapes).</summary>
    public ReadOnlySpan<byte> Utf8Bytes => _utf8.Span;

    /// <summary>True when the string holds a quote, a backslash or a C0 control, which the writer must escape.</summary>
    internal bool NeedsEscaping { get; }

    public string Value => _value ??= Encoding.UTF8.GetString(_utf8.Span);

    public static implicit operator string(JsonString s) => s.Value;

    /// <summary>Code-point order, which for well-formed UTF-8 is byte order.</summary>
    internal int CompareTo(JsonString other) => _utf8.Span.SequenceCompareTo(other._utf8.Span);

    public bool ValueEquals(string value) => Value == value;

    public override bool Equals(JsonValue? other) => other is JsonString s && s._utf8.Span.SequenceEqual(_utf8.Span);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(_utf8.Span);
        return h.ToHashCode();
    }

    internal static bool ComputeNeedsEscaping(ReadOnlySpan<byte> utf8) => utf8.IndexOfAny(CanonicalJson.MustEscape) >= 0;
}
