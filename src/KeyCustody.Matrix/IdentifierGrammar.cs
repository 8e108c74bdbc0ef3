using System.Globalization;
using System.Text;

namespace KeyCustody.Matrix;

/// <summary>
/// The identifier grammar the signing policy enforces, stricter than <see cref="MatrixIds"/> (which only recognises
/// what is clearly an ID). Every answer that refuses says why without quoting the identifier: a refused one may hold
/// control, format or bidirectional characters that would rewrite what a person reads.
/// <list type="bullet">
/// <item>User IDs: the spec's grammar (appendices, "User Identifiers"), historical user IDs included:
/// <c>@localpart:server_name</c>, at most 255 bytes; the localpart non-empty printable ASCII without <c>:</c>
/// (<c>extended_user_id_char</c>, a superset of today's <c>a-z 0-9 . _ = - / +</c>); the server name a host
/// (DNS name, IPv4 or bracketed IPv6 literal) and an optional port. The spec calls the wider historical localparts
/// (other Unicode, controls, empty) non-compliant; servers do not forward them to clients outside events, and a
/// key custodian has no reason to sign for one.</item>
/// <item>Device IDs: the spec leaves them opaque; what servers and clients produce is printable ASCII (Synapse
/// <c>[A-Z]{10}</c>, the authentication service <c>[A-Za-z0-9]</c> and OAuth scope characters, matrix-rust-sdk
/// the unpadded base64 of a Curve25519 key). So: 1 to 255 characters from U+0021 to U+007E; no space, control,
/// format, bidirectional or other non-ASCII character.</item>
/// </list>
/// </summary>
public static class IdentifierGrammar
{
    /// <summary>The most bytes a user ID may have (spec), and the most characters this policy allows in a device ID.</summary>
    public const int MaxLength = 255;

    /// <summary>Null when <paramref name="value"/> is a user ID the spec's grammar allows; otherwise why it is not.</summary>
    public static string? UserIdProblem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "it is empty";
        }

        if (PrintableAsciiProblem(value) is { } characters)
        {
            return characters + " (a user ID is printable ASCII: the spec's grammar, historical user IDs included)";
        }

        if (Encoding.UTF8.GetByteCount(value) > MaxLength)
        {
            return $"it is {Encoding.UTF8.GetByteCount(value)} bytes long; a user ID has at most {MaxLength}";
        }

        if (value[0] != '@')
        {
            return "it does not start with '@'";
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return "it has no ':' between the localpart and the server name";
        }

        if (colon == 1)
        {
            return "its localpart is empty";
        }

        return ServerNameProblem(value.AsSpan(colon + 1)) is { } server ? "its server name " + server : null;
    }

    /// <summary>Null when <paramref name="value"/> is a device ID of the shape servers and clients produce; otherwise why not.</summary>
    public static string? DeviceIdProblem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "it is empty";
        }

        if (PrintableAsciiProblem(value) is { } characters)
        {
            return characters + " (device IDs are printable ASCII without spaces)";
        }

        return value.Length > MaxLength ? $"it is {value.Length} characters long; at most {MaxLength} are accepted" : null;
    }

    /// <summary>
    /// <c>server_name = hostname [ ":" port ]</c>; hostname an IPv4 literal or DNS name (<c>[A-Za-z0-9.-]</c>) or a
    /// bracketed IPv6 literal (<c>[0-9A-Fa-f:.]</c>, 2 to 45 of them); port 1 to 5 digits.
    /// </summary>
    private static string? ServerNameProblem(ReadOnlySpan<char> server)
    {
        // Spans, not substrings: every user ID the policy sees (each object of a batch) is checked here.
        ReadOnlySpan<char> port;
        if (server.Length > 0 && server[0] == '[')
        {
            var close = server.IndexOf(']');
            if (close < 0)
            {
                return "opens an IPv6 literal with '[' and never closes it";
            }

            var literal = server[1..close];
            if (literal.Length is < 2 or > 45 || !All(literal, static c => char.IsAsciiHexDigit(c) || c is ':' or '.'))
            {
                return "has an IPv6 literal that is not 2 to 45 hex digits, ':' and '.'";
            }

            port = server[(close + 1)..];
        }
        else
        {
            var colon = server.IndexOf(':');
            var host = colon < 0 ? server : server[..colon];
            port = colon < 0 ? default : server[colon..];
            if (host.Length == 0)
            {
                return "is empty";
            }

            if (!All(host, static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
            {
                return "is not a DNS name or IP literal (letters, digits, '-' and '.')";
            }
        }

        if (port.Length == 0)
        {
            return null;
        }

        return port[0] == ':' && port.Length is >= 2 and <= 6 && All(port[1..], char.IsAsciiDigit)
            ? null
            : "has something after the host that is not ':' and a port of 1 to 5 digits";
    }

    private static bool All(ReadOnlySpan<char> text, Func<char, bool> allowed)
    {
        foreach (var c in text)
        {
            if (!allowed(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The first character outside U+0021..U+007E, named by code point and position (never shown raw).</summary>
    private static string? PrintableAsciiProblem(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] is >= '!' and <= '~')
            {
                continue;
            }

            var codePoint = char.IsSurrogatePair(value, i) ? char.ConvertToUtf32(value[i], value[i + 1]) : value[i];
            var name = CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
            {
                UnicodeCategory.Control => "a control character",
                UnicodeCategory.Format => "a format character (invisible, or reordering text)",
                UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => "a space",
                UnicodeCategory.Surrogate => "an unpaired surrogate",
                _ => "not ASCII",
            };
            return string.Create(CultureInfo.InvariantCulture, $"character {i + 1} is U+{codePoint:X4}, {name}");
        }

        return null;
    }
}
