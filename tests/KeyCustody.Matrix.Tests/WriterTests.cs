using System.Text;
using KeyCustody.Matrix.Json;
using Xunit;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Matrix.Tests;

/// <summary>The writer's named rules, each with exact output bytes.</summary>
public class WriterTests
{
    public static TheoryData<int, string> C0Controls()
    {
        var data = new TheoryData<int, string>();
        for (var c = 0; c < 0x20; c++)
        {
            var expected = c switch
            {
                0x08 => "\\b",
                0x09 => "\\t",
                0x0a => "\\n",
                0x0c => "\\f",
                0x0d => "\\r",
                _ => $"\\u{c:x4}",
            };
            data.Add(c, expected);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(C0Controls))]
    public void Rule_C0_controls_use_short_escapes_or_lowercase_u00xx(int control, string escape)
    {
        var value = new JsonString("a" + (char)control + "b");
        Assert.Equal("\"a" + escape + "b\"", Canonical(value));
    }

    [Theory]
    [InlineData("\"", "\\\"")]
    [InlineData("\\", "\\\\")]
    [InlineData("/", "/")]
    [InlineData("\u007f", "\u007f")]
    [InlineData("\u0080\u009f", "\u0080\u009f")]
    [InlineData("\u2028\u2029", "\u2028\u2029")]
    [InlineData("\ufeff\ufffe\uffff", "\ufeff\ufffe\uffff")]
    [InlineData("é", "é")]
    [InlineData("e\u0301", "e\u0301")]
    [InlineData("😀", "😀")]
    public void Rule_everything_else_is_raw_utf8(string input, string written) =>
        Assert.Equal("\"" + written + "\"", Canonical(new JsonString(input)));

    [Fact]
    public void Rule_raw_bytes_for_u2028_are_e2_80_a8()
    {
        Assert.Equal(new byte[] { 0x22, 0xe2, 0x80, 0xa8, 0x22 }, CanonicalJson.Encode(new JsonString("\u2028")));
    }

    [Fact]
    public void Rule_keys_sort_by_code_point_with_no_whitespace()
    {
        var obj = JsonObject.Of(("😀", 1L), ("\uFB33", 2L), ("b", new JsonArray(1L, "x", JsonNull.Instance, true, false)), ("a", JsonObject.Empty));
        Assert.Equal("{\"a\":{},\"b\":[1,\"x\",null,true,false],\"\uFB33\":2,\"😀\":1}", Canonical(obj));
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(-1L, "-1")]
    [InlineData(JsonInteger.MaxValue, "9007199254740991")]
    [InlineData(JsonInteger.MinValue, "-9007199254740991")]
    public void Rule_integers_in_shortest_decimal(long value, string expected) => Assert.Equal(expected, Canonical(new JsonInteger(value)));

    [Fact]
    public void Rule_integers_outside_the_range_cannot_be_built()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new JsonInteger(JsonInteger.MaxValue + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new JsonInteger(JsonInteger.MinValue - 1));
    }

    [Fact]
    public void Rule_strings_with_unpaired_surrogates_cannot_be_built()
    {
        Assert.Throws<ArgumentException>(() => new JsonString("a\ud800"));
        Assert.Throws<ArgumentException>(() => new JsonString("\udc00"));
    }

    [Fact]
    public void Rule_with_replaces_a_member_in_place_adds_one_in_key_order_and_refuses_a_lone_surrogate_key()
    {
        var o = JsonObject.Of(("b", 1L), ("d", 2L));
        Assert.Equal("""{"b":1,"d":"x"}""", Encoding.UTF8.GetString(CanonicalJson.Encode(o.With("d", "x"))));
        Assert.Equal("""{"a":0,"b":1,"d":2}""", Encoding.UTF8.GetString(CanonicalJson.Encode(o.With("a", 0L))));
        Assert.Equal("""{"b":1,"c":3,"d":2}""", Encoding.UTF8.GetString(CanonicalJson.Encode(o.With("c", 3L))));
        Assert.Equal("{\"b\":1,\"d\":2,\"\u00e9\":4}", Encoding.UTF8.GetString(CanonicalJson.Encode(o.With("\u00e9", 4L))));
        Assert.Equal("""{"b":1,"d":2}""", Encoding.UTF8.GetString(CanonicalJson.Encode(o)));
        Assert.Throws<ArgumentException>(() => o.With("d\ud800", 5L));
        Assert.Throws<ArgumentException>(() => o.With("\udc00", 5L));
    }

    [Fact]
    public void Rule_a_hex_string_is_the_lowercase_hex_of_its_bytes_and_equals_the_same_string_built_from_text()
    {
        var bytes = System.Security.Cryptography.SHA256.HashData("payload"u8);
        var hex = JsonString.LowerHex(bytes);
        Assert.Equal(Convert.ToHexStringLower(bytes), hex.Value);
        Assert.Equal(new JsonString(Convert.ToHexStringLower(bytes)), hex);
        Assert.Equal("\"" + Convert.ToHexStringLower(bytes) + "\"", Encoding.UTF8.GetString(CanonicalJson.Encode(hex)));
        Assert.Equal("\"\"", Encoding.UTF8.GetString(CanonicalJson.Encode(JsonString.LowerHex([]))));
    }

    [Fact]
    public void Rule_the_encoding_handed_to_a_function_is_the_canonical_encoding()
    {
        var value = CanonicalJson.Parse(Utf8("{\"b\": [1, \"x\\n\"], \"a\": {\"c\": null}}"));
        Assert.Equal(CanonicalJson.Encode(value), CanonicalJson.WithEncoding(value, 0, static (bytes, _) => bytes.ToArray()));
        var large = new JsonArray(Enumerable.Range(0, 5000).Select(i => (JsonValue)new string('h', 64)).ToArray());
        Assert.Equal(CanonicalJson.Encode(large), CanonicalJson.WithEncoding(large, 0, static (bytes, _) => bytes.ToArray()));
    }

    [Fact]
    public void Rule_duplicate_keys_cannot_be_built()
    {
        Assert.Throws<ArgumentException>(() => JsonObject.Of(("a", 1L), ("a", 2L)));
    }

    [Fact]
    public void Signing_bytes_leave_out_only_top_level_signatures_and_unsigned()
    {
        var obj = Parse("{\"unsigned\": {\"x\": 1}, \"signatures\": {}, \"a\": {\"signatures\": 1, \"unsigned\": 2}}");
        Assert.Equal("{\"a\":{\"signatures\":1,\"unsigned\":2}}", Text(CanonicalJson.EncodeForSigning(obj)));
    }

    [Fact]
    public void Large_documents_are_written_whole()
    {
        var items = Enumerable.Range(0, 20_000).Select(i => (JsonValue)("item-" + i + "-\n")).ToArray();
        var bytes = CanonicalJson.Encode(new JsonArray(items));
        Assert.Equal(new JsonArray(items), CanonicalJson.Parse(bytes));
    }
}
