using System.Buffers.Text;

namespace KeyCustody.Matrix.Codecs;

/// <summary>
/// Matrix "unpadded base64" (spec appendix): RFC 4648 standard alphabet with the <c>=</c> padding
/// removed. Encoding is strict and canonical. Decoding is lenient in the two ways every reference
/// decoder but vodozemac is: padding may be present or absent, and the unused trailing bits of the
/// last character may be non-zero (the spec's own test seed has them). Anything else is refused:
/// other alphabets, whitespace, misplaced or wrong padding, impossible lengths.
/// </summary>
public static class UnpaddedBase64
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    private static readonly sbyte[] Values = BuildValues();

    /// <summary>Length of the unpadded encoding of <paramref name="byteCount"/> bytes.</summary>
    public static int EncodedLength(int byteCount) => ((byteCount * 4) + 2) / 3;

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<byte> padded = bytes.Length <= 192 ? stackalloc byte[256] : new byte[Base64.GetMaxEncodedToUtf8Length(bytes.Length)];
        Base64.EncodeToUtf8(bytes, padded, out _, out var written);
        var length = EncodedLength(bytes.Length);
        _ = written;
        return System.Text.Encoding.ASCII.GetString(padded[..length]);
    }

    /// <summary>The encoding as ASCII bytes of its exact length (what a JSON string holds), without a string in between.</summary>
    internal static byte[] EncodeToAscii(ReadOnlySpan<byte> bytes)
    {
        Span<byte> padded = bytes.Length <= 192 ? stackalloc byte[256] : new byte[Base64.GetMaxEncodedToUtf8Length(bytes.Length)];
        Base64.EncodeToUtf8(bytes, padded, out _, out _);
        return padded[..EncodedLength(bytes.Length)].ToArray();
    }

    /// <summary>Decodes leniently; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static byte[] Decode(string text)
    {
        if (!TryDecode(text, out var bytes, out var error))
        {
            throw new FormatException(error);
        }

        return bytes;
    }

    /// <summary>Decodes leniently (optional padding, non-zero trailing bits).</summary>
    public static bool TryDecode(string text, out byte[] bytes, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryDecode(text.AsSpan(), out bytes, out error);
    }

    /// <summary>
    /// Decodes a JSON string's text leniently, without making a string of it when it is short ASCII (a signature); other
    /// text is decoded as its string, so every error names the same position as <see cref="TryDecode(string, out byte[], out string)"/>.
    /// </summary>
    internal static bool TryDecode(Json.JsonString text, out byte[] bytes, out string error)
    {
        Span<char> chars = stackalloc char[128];
        return text.Utf8Bytes.Length <= chars.Length && System.Text.Ascii.ToUtf16(text.Utf8Bytes, chars, out var n) == System.Buffers.OperationStatus.Done
            ? TryDecode(chars[..n], out bytes, out error)
            : TryDecode(text.Value, out bytes, out error);
    }

    private static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes, out string error)
    {
        bytes = [];
        var length = text.Length;
        var padding = 0;
        while (length > 0 && text[length - 1] == '=')
        {
            length--;
            padding++;
        }

        for (var i = 0; i < length; i++)
        {
            var c = text[i];
            if (c >= 128 || Values[c] < 0)
            {
                error = c is '-' or '_'
                    ? $"invalid base64 character '{c}' at position {i} (the URL-safe alphabet is not used for Matrix keys and signatures)"
                    : $"invalid base64 character at position {i}";
                return false;
            }
        }

        if (length % 4 == 1)
        {
            error = $"invalid unpadded base64: a length of {length} characters cannot encode whole bytes";
            return false;
        }

        if (padding > 0 && (padding > 2 || (length + padding) % 4 != 0))
        {
            error = "invalid base64 padding";
            return false;
        }

        var output = new byte[length * 3 / 4];
        int acc = 0, bits = 0, o = 0;
        for (var i = 0; i < length; i++)
        {
            int v = Values[text[i]];
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                output[o++] = (byte)(acc >> bits);
                acc &= (1 << bits) - 1;
            }
        }

        bytes = output;
        error = string.Empty;
        return true;
    }

    /// <summary>True when <paramref name="text"/> is exactly the canonical unpadded encoding of some bytes.</summary>
    public static bool IsCanonical(string text) => TryDecode(text, out var bytes, out _) && Encode(bytes) == text;

    private static sbyte[] BuildValues()
    {
        var values = new sbyte[128];
        Array.Fill(values, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            values[Alphabet[i]] = (sbyte)i;
        }

        return values;
    }
}
