using System.Buffers;
using System.Globalization;
using System.Text;

namespace KeyCustody.Matrix;

/// <summary>
/// Text from callers (user and device ids inside an intent, a denial's reason, a certificate subject) made safe to
/// put in front of a person: every character that is not shown as itself (controls such as ESC, CR and LF; format
/// characters such as the bidirectional overrides and isolates, zero-width joiners and tag characters; line and
/// paragraph separators; unassigned code points; lone surrogates) becomes <c>\u{XXXX}</c>, so a terminal cannot be
/// driven and the text reads in the order it is stored. Everything else is left as it is; applying it twice gives
/// the same text as applying it once, so the daemon and the CLI may both apply it. A backslash is not escaped: a
/// caller's literal "\u{1B}" reads the same as an escaped ESC, and both are equally visible.
/// </summary>
public static class DisplayText
{
    /// <summary><paramref name="text"/> with every character a terminal would not show as itself written as <c>\u{XXXX}</c>.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IsPlain(text))
        {
            return text;
        }

        var output = new StringBuilder(text.Length + 16);
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != OperationStatus.Done)
            {
                // A lone surrogate: not a character at all.
                Append(output, rest[0]);
                rest = rest[1..];
                continue;
            }

            if (Hidden(rune))
            {
                Append(output, rune.Value);
            }
            else
            {
                output.Append(rest[..used]);
            }

            rest = rest[used..];
        }

        return output.ToString();
    }

    /// <summary>
    /// JSON text with every hidden character (as <see cref="Escape"/> sees them) written as a JSON escape (<c>\u202e</c>):
    /// the same document, safe on a terminal. In JSON such characters can only stand inside strings, where the escape
    /// means the same character.
    /// </summary>
    public static string EscapeJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (IsPlain(json))
        {
            return json;
        }

        var output = new StringBuilder(json.Length + 16);
        var rest = json.AsSpan();
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf16(rest, out var rune, out var used);
            if (status != OperationStatus.Done || Hidden(rune))
            {
                foreach (var unit in status == OperationStatus.Done ? rest[..used] : rest[..1])
                {
                    output.Append(CultureInfo.InvariantCulture, $"\\u{(int)unit:x4}");
                }

                rest = rest[(status == OperationStatus.Done ? used : 1)..];
                continue;
            }

            output.Append(rest[..used]);
            rest = rest[used..];
        }

        return output.ToString();
    }

    /// <summary><see cref="Escape"/>, then cut to <paramref name="max"/> characters (saying how long the original was).</summary>
    public static string Clip(string text, int max)
    {
        var shown = Escape(text);
        return shown.Length <= max ? shown : string.Concat(shown.AsSpan(0, max), $"… ({text.Length} characters)");
    }

    /// <summary>True when <see cref="Escape"/> would change nothing.</summary>
    public static bool IsPlain(string text)
    {
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (rest[0] is >= ' ' and < '\u007f')
            {
                rest = rest[1..];
                continue;
            }

            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != OperationStatus.Done || Hidden(rune))
            {
                return false;
            }

            rest = rest[used..];
        }

        return true;
    }

    private static bool Hidden(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned;

    private static void Append(StringBuilder output, int codePoint) =>
        output.Append(CultureInfo.InvariantCulture, $"\\u{{{codePoint:X}}}");
}
