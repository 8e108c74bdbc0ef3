using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// What we take as a key's label (CKA_LABEL): UTF-8 text without a NUL. PKCS#11 makes CKA_LABEL UTF-8 bytes with no
/// terminator, but modules written in C often keep and compare labels as C strings, which end at the first NUL: a label
/// "k\0evil" there reads, and matches, as "k". So a name with a NUL is refused, and an object whose label has one (or
/// is not UTF-8 at all, which decoding would turn into U+FFFD and so into another label) has no label for us: no name
/// matches it and none is made from it (it is named by its CKA_ID instead).
/// </summary>
internal static class Pkcs11Label
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Why <paramref name="label"/> cannot name a key, or null if it can.</summary>
    public static string? Problem(string label)
    {
        if (label.Contains('\0', StringComparison.Ordinal))
        {
            return "a label cannot contain a NUL character: a PKCS#11 module written in C would read it as the shorter label before the NUL";
        }

        // A lone surrogate has no UTF-8 form: encoding would put U+FFFD in its place, another label.
        return Utf8.FromUtf16(label, new byte[Strict.GetMaxByteCount(label.Length)], out _, out _, replaceInvalidSequences: false) == OperationStatus.Done
            ? null
            : "a label is Unicode text (this one has a lone surrogate, which has no UTF-8 form)";
    }

    /// <summary>The label the bytes are, or null if they are no label for us (not UTF-8, or with a NUL).</summary>
    public static string? Text(ReadOnlySpan<byte> value)
    {
        if (value.Contains((byte)0) || !Utf8.IsValid(value))
        {
            return null;
        }

        return Strict.GetString(value);
    }
}
