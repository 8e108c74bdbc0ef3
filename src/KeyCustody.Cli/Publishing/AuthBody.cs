using System.Text.Unicode;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// Request bodies answering a user-interactive-auth challenge: the original body with an <c>auth</c> member
/// put in front. The password never becomes a string: it is escaped straight from the caller's bytes into
/// one buffer the caller zeroes once the request is sent. "auth" sorts before every member of the upload
/// bodies, so a canonical body stays canonical.
/// </summary>
internal static class AuthBody
{
    /// <summary><c>auth: {type: m.login.password, identifier: {type: m.id.user, user}, password, session}</c> + the body.</summary>
    public static byte[] Password(string userId, ReadOnlySpan<byte> password, string? session, ReadOnlySpan<byte> body)
    {
        if (!Utf8.IsValid(password))
        {
            throw new UsageException("the password is not valid UTF-8");
        }

        var identifier = CanonicalJson.Encode(JsonObject.Of(("type", "m.id.user"), ("user", userId)));
        var parts = new List<byte[]> { "{\"identifier\":"u8.ToArray(), identifier, ",\"password\":"u8.ToArray() };
        var tail = session is null ? ",\"type\":\"m.login.password\"}"u8.ToArray() : Concat(",\"session\":"u8.ToArray(), Encode(session), ",\"type\":\"m.login.password\"}"u8.ToArray());

        var headLength = parts.Sum(p => p.Length);
        var passwordLength = EscapedLength(password);
        var prefix = "{\"auth\":"u8;
        var rest = RestOf(body);
        var result = new byte[prefix.Length + headLength + passwordLength + tail.Length + rest.Length];
        var at = 0;
        Put(result, ref at, prefix);
        foreach (var p in parts)
        {
            Put(result, ref at, p);
        }

        at += WriteEscaped(password, result.AsSpan(at));
        Put(result, ref at, tail);
        Put(result, ref at, rest);
        return result;
    }

    /// <summary><c>auth: {session}</c> + the body: the retry after the person approved elsewhere (m.oauth).</summary>
    public static byte[] Session(string? session, ReadOnlySpan<byte> body)
    {
        var auth = CanonicalJson.Encode(session is null ? JsonObject.Empty : JsonObject.Of(("session", session)));
        var rest = RestOf(body);
        return Concat("{\"auth\":"u8.ToArray(), auth, rest.ToArray());
    }

    /// <summary>The body without its opening brace, preceded by a comma when it has members.</summary>
    private static ReadOnlySpan<byte> RestOf(ReadOnlySpan<byte> body)
    {
        if (body.Length < 2 || body[0] != (byte)'{')
        {
            throw new ArgumentException("the body must be a JSON object", nameof(body));
        }

        return body[1] == (byte)'}' ? "}"u8 : Concat(","u8.ToArray(), body[1..].ToArray());
    }

    private static byte[] Encode(string text) => CanonicalJson.Encode(new JsonString(text));

    private static int EscapedLength(ReadOnlySpan<byte> utf8)
    {
        var n = 2;
        foreach (var b in utf8)
        {
            n += b is (byte)'"' or (byte)'\\' ? 2 : b < 0x20 ? 6 : 1;
        }

        return n;
    }

    /// <summary>A JSON string of <paramref name="utf8"/>: quote, backslash and C0 controls escaped, everything else as is.</summary>
    private static int WriteEscaped(ReadOnlySpan<byte> utf8, Span<byte> output)
    {
        var at = 0;
        output[at++] = (byte)'"';
        foreach (var b in utf8)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                output[at++] = (byte)'\\';
                output[at++] = b;
            }
            else if (b < 0x20)
            {
                "\\u00"u8.CopyTo(output[at..]);
                output[at + 4] = Hex(b >> 4);
                output[at + 5] = Hex(b & 0xf);
                at += 6;
            }
            else
            {
                output[at++] = b;
            }
        }

        output[at++] = (byte)'"';
        return at;
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    private static void Put(byte[] target, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(target.AsSpan(at));
        at += bytes.Length;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        var at = 0;
        foreach (var p in parts)
        {
            Put(result, ref at, p);
        }

        return result;
    }
}
