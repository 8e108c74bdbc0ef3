using System.Globalization;
using System.Text;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Tests.Shared;

/// <summary>
/// Generates JSON trees with awkward content (astral vs U+E000–U+FFFF key ordering, C0 controls, DEL,
/// C1, U+2028/2029, non-characters, escapes, integers at the range limits, nesting) and writes them
/// as noisy but valid JSON text: random whitespace (never a raw newline, so one document fits one
/// line), random member order, random escaping (\uXXXX in either case, surrogate pairs, \/, -0).
/// Deterministic for a seed.
/// </summary>
internal sealed class AwkwardJson(int seed)
{
    private static readonly int[] KeyAtoms =
    [
        'a', 'A', 'b', 0x00, 0x1f, '"', '\\', '/', 0x7f, 0x80, 0xe9, 0x2028, 0x2029, 0xd7ff,
        0xe000, 0xfb33, 0xfeff, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff,
    ];

    private static readonly long[] Integers =
    [
        0, 1, -1, 9, 10, JsonInteger.MaxValue, JsonInteger.MinValue, JsonInteger.MaxValue - 1, JsonInteger.MinValue + 1,
        4294967296, -4294967296, 2147483648, 9007199254740990,
    ];

    private readonly Random _random = new(seed);

    /// <summary>A top-level object; with <paramref name="signingMembers"/>, sometimes with signatures and unsigned.</summary>
    public JsonObject Document(bool signingMembers)
    {
        var obj = Object(0, _random.Next(0, 8));
        if (signingMembers)
        {
            if (_random.Next(3) == 0)
            {
                obj = obj.With("signatures", JsonObject.Of(
                    ("@other:example.org", JsonObject.Of(("ed25519:OTHER", String(12)))),
                    (_random.Next(2) == 0 ? "@x:y" : "domain", JsonObject.Of(("ed25519:2", String(8))))));
            }

            if (_random.Next(3) == 0)
            {
                obj = obj.With("unsigned", _random.Next(4) == 0 ? JsonNull.Instance : Object(2, 2));
            }
        }

        return obj;
    }

    public JsonValue Value(int depth)
    {
        var max = depth >= 6 ? 5 : 7;
        switch (_random.Next(max))
        {
            case 0: return JsonNull.Instance;
            case 1: return JsonBoolean.From(_random.Next(2) == 0);
            case 2: return Integer();
            case 3:
            case 4: return String(_random.Next(0, 12));
            case 5: return Object(depth + 1, _random.Next(0, 5));
            default:
                if (_random.Next(40) == 0)
                {
                    return DeepChain(_random.Next(20, 100));
                }

                return new JsonArray(Enumerable.Range(0, _random.Next(0, 5)).Select(_ => Value(depth + 1)).ToArray());
        }
    }

    public JsonObject Object(int depth, int members)
    {
        var dict = new Dictionary<string, JsonValue>(StringComparer.Ordinal);
        for (var i = 0; i < members; i++)
        {
            dict[Key()] = Value(depth + 1);
        }

        return new JsonObject(dict);
    }

    private JsonValue DeepChain(int depth)
    {
        JsonValue v = Integer();
        for (var i = 0; i < depth; i++)
        {
            v = _random.Next(2) == 0 ? new JsonArray(v) : JsonObject.Of((Key(), v));
        }

        return v;
    }

    private JsonInteger Integer() => new(_random.Next(3) switch
    {
        0 => Integers[_random.Next(Integers.Length)],
        1 => _random.NextInt64(JsonInteger.MinValue, JsonInteger.MaxValue + 1),
        _ => _random.Next(-1000, 1000),
    });

    private string Key()
    {
        var sb = new StringBuilder();
        var n = _random.Next(0, 4);
        for (var i = 0; i < n; i++)
        {
            sb.Append(char.ConvertFromUtf32(KeyAtoms[_random.Next(KeyAtoms.Length)]));
        }

        return sb.ToString();
    }

    public JsonString String(int length)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            sb.Append(char.ConvertFromUtf32(_random.Next(9) switch
            {
                0 => _random.Next(0x00, 0x20),
                1 => _random.Next(0x7f, 0xa0),
                2 => _random.Next(3) switch { 0 => 0x2028, 1 => 0x2029, _ => '"' },
                3 => _random.Next(0xe000, 0x10000),
                4 => _random.Next(0x10000, 0x110000),
                5 => _random.Next(0xa0, 0xd800),
                6 => "\\/\"".AsSpan()[_random.Next(3)],
                _ => _random.Next(0x20, 0x7f),
            }));
        }

        return new JsonString(sb.ToString());
    }

    /// <summary>Noisy but valid JSON text for <paramref name="value"/>, on one line.</summary>
    public byte[] Noisy(JsonValue value)
    {
        var sb = new StringBuilder();
        WriteNoisy(sb, value);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private void Space(StringBuilder sb)
    {
        if (_random.Next(3) == 0)
        {
            sb.Append(_random.Next(4) switch { 0 => " ", 1 => "\t", 2 => "\r", _ => "  " });
        }
    }

    private void WriteNoisy(StringBuilder sb, JsonValue value)
    {
        Space(sb);
        switch (value)
        {
            case JsonNull: sb.Append("null"); break;
            case JsonBoolean b: sb.Append(b.Value ? "true" : "false"); break;
            case JsonInteger i: sb.Append(i.Value == 0 && _random.Next(2) == 0 ? "-0" : i.Value.ToString(CultureInfo.InvariantCulture)); break;
            case JsonString s: WriteNoisyString(sb, s.Value); break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    WriteNoisy(sb, a[i]);
                }

                Space(sb);
                sb.Append(']');
                break;
            case JsonObject o:
                sb.Append('{');
                var members = o.ToList();
                for (var i = members.Count - 1; i > 0; i--)
                {
                    var j = _random.Next(i + 1);
                    (members[i], members[j]) = (members[j], members[i]);
                }

                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    Space(sb);
                    WriteNoisyString(sb, members[i].Key);
                    Space(sb);
                    sb.Append(':');
                    WriteNoisy(sb, members[i].Value);
                }

                Space(sb);
                sb.Append('}');
                break;
        }

        Space(sb);
    }

    private void WriteNoisyString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            var cp = rune.Value;
            var escape = _random.Next(4) == 0;
            var hex = _random.Next(2) == 0 ? "x4" : "X4";
            if (cp == '"' || cp == '\\')
            {
                sb.Append(escape ? "\\u" + cp.ToString(hex, CultureInfo.InvariantCulture) : "\\" + (char)cp);
            }
            else if (cp < 0x20)
            {
                var shortEscape = cp switch { 8 => "\\b", 9 => "\\t", 10 => "\\n", 12 => "\\f", 13 => "\\r", _ => null };
                sb.Append(shortEscape is not null && !escape ? shortEscape : "\\u" + cp.ToString(hex, CultureInfo.InvariantCulture));
            }
            else if (cp == '/' && escape)
            {
                sb.Append("\\/");
            }
            else if (escape && cp >= 0x10000)
            {
                var utf16 = rune.ToString();
                sb.Append("\\u").Append(((int)utf16[0]).ToString(hex, CultureInfo.InvariantCulture));
                sb.Append("\\u").Append(((int)utf16[1]).ToString(hex, CultureInfo.InvariantCulture));
            }
            else if (escape)
            {
                sb.Append("\\u").Append(cp.ToString(hex, CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(rune.ToString());
            }
        }

        sb.Append('"');
    }
}
