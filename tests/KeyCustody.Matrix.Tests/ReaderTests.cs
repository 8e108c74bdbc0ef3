using KeyCustody.Matrix.Json;
using Xunit;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Matrix.Tests;

/// <summary>One test per rule of the strict reader, each asserting what, where (byte offset) and the JSON path.</summary>
public class ReaderTests
{
    [Theory]
    [InlineData("{\"a\": 1.5}", JsonErrorKind.Float, 6, "$.a")]
    [InlineData("{\"a\": [0, -2.0]}", JsonErrorKind.Float, 10, "$.a[1]")]
    [InlineData("{\"a\": 1e10}", JsonErrorKind.Exponent, 6, "$.a")]
    [InlineData("{\"a\": 1E+2}", JsonErrorKind.Exponent, 6, "$.a")]
    [InlineData("[01]", JsonErrorKind.LeadingZero, 1, "$[0]")]
    [InlineData("[-01]", JsonErrorKind.LeadingZero, 1, "$[0]")]
    [InlineData("[9007199254740992]", JsonErrorKind.IntegerOutOfRange, 1, "$[0]")]
    [InlineData("[-9007199254740992]", JsonErrorKind.IntegerOutOfRange, 1, "$[0]")]
    [InlineData("[123456789012345678901234567890]", JsonErrorKind.IntegerOutOfRange, 1, "$[0]")]
    [InlineData("{\"x\": NaN}", JsonErrorKind.NaNOrInfinity, 6, "$.x")]
    [InlineData("{\"x\": Infinity}", JsonErrorKind.NaNOrInfinity, 6, "$.x")]
    [InlineData("{\"x\": -Infinity}", JsonErrorKind.NaNOrInfinity, 6, "$.x")]
    [InlineData("{\"a\": 1, \"b\": 2, \"a\": 3}", JsonErrorKind.DuplicateKey, 17, "$.a")]
    [InlineData("{\"k\": {\"a\": 1, \"\\u0061\": 2}}", JsonErrorKind.DuplicateKey, 15, "$.k.a")]
    [InlineData("[\"\\ud800\"]", JsonErrorKind.UnpairedSurrogate, 2, "$[0]")]
    [InlineData("[\"\\udc00\\ud800\"]", JsonErrorKind.UnpairedSurrogate, 2, "$[0]")]
    [InlineData("[\"\\ud83dx\"]", JsonErrorKind.UnpairedSurrogate, 2, "$[0]")]
    [InlineData("[\"\\ud83d\\u0041\"]", JsonErrorKind.UnpairedSurrogate, 2, "$[0]")]
    [InlineData("{\"\\ud83d\": 1}", JsonErrorKind.UnpairedSurrogate, 2, "$")]
    [InlineData("[\"\\x41\"]", JsonErrorKind.InvalidEscape, 2, "$[0]")]
    [InlineData("[\"\\u12G4\"]", JsonErrorKind.InvalidEscape, 2, "$[0]")]
    [InlineData("[\"a\tb\"]", JsonErrorKind.ControlCharacterInString, 3, "$[0]")]
    [InlineData("[\"abc", JsonErrorKind.UnexpectedEnd, 1, "$[0]")]
    [InlineData("{\"a\" 1}", JsonErrorKind.UnexpectedCharacter, 5, "$")]
    [InlineData("{\"a\": 1,}", JsonErrorKind.UnexpectedCharacter, 8, "$")]
    [InlineData("[1,]", JsonErrorKind.UnexpectedCharacter, 3, "$[1]")]
    [InlineData("{a: 1}", JsonErrorKind.UnexpectedCharacter, 1, "$")]
    [InlineData("[tru]", JsonErrorKind.InvalidLiteral, 1, "$[0]")]
    [InlineData("{} {}", JsonErrorKind.TrailingData, 3, "$")]
    [InlineData("", JsonErrorKind.UnexpectedEnd, 0, "$")]
    [InlineData("   ", JsonErrorKind.UnexpectedEnd, 3, "$")]
    [InlineData("[1 2]", JsonErrorKind.UnexpectedCharacter, 3, "$[0]")]
    [InlineData("{\"keys\": {\"ed25519:X\": 1.0}}", JsonErrorKind.Float, 23, "$.keys[\"ed25519:X\"]")]
    public void Rejects_with_kind_offset_and_path(string input, JsonErrorKind kind, int offset, string path)
    {
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(Utf8(input)));
        Assert.Equal(kind, e.Kind);
        Assert.Equal(offset, e.Offset);
        Assert.Equal(path, e.Path);
        Assert.Contains($"at byte {offset}", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_after_one_that_failed_deep_inside_or_was_wide_sees_only_its_own_document()
    {
        // The reader keeps its stacks between reads on a thread: nothing of one document may show in the next.
        var deep = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(Utf8("{\"a\": {\"b\": [1, {\"c\": [true, nul")));
        Assert.Equal("$.a.b[1].c[1]", deep.Path);
        Assert.Equal(Utf8("{\"x\":[1]}"), CanonicalJson.Encode(CanonicalJson.Parse(Utf8("{\"x\": [1]}"))));
        var shallow = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(Utf8("{\"y\": 1,}")));
        Assert.Equal("$", shallow.Path);

        var wide = "{" + string.Join(",", Enumerable.Range(0, 1000).Select(i => $"\"k{i:D4}\":[{i}]")) + "}";
        Assert.Equal(1000, CanonicalJson.ParseObject(Utf8(wide)).Count);
        var duplicate = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(Utf8("{\"q\": {\"r\": 1, \"r\": 2}}")));
        Assert.Equal((JsonErrorKind.DuplicateKey, "$.q.r"), (duplicate.Kind, duplicate.Path));
        Assert.Equal(Utf8("{\"a\":{},\"b\":[]}"), CanonicalJson.Encode(CanonicalJson.Parse(Utf8("{\"b\": [], \"a\": {}}"))));

        // Reads on several threads at once (threads of their own, so they do overlap): each its own stacks.
        var wrong = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                var doc = Utf8("{" + string.Join(",", Enumerable.Range(0, 60).Select(k => $"\"k{k:D2}\":[{t},{i},{{\"m\":{k}}}]")) + "}");
                try
                {
                    if (!doc.AsSpan().SequenceEqual(CanonicalJson.Encode(CanonicalJson.Parse(doc))))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                catch (Exception)
                {
                    // Stacks shared between threads fail any way at all; an exception on this thread would end the test run.
                    Interlocked.Increment(ref wrong);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(0, wrong);
    }

    [Theory]
    [InlineData(new byte[] { 0x5b, 0x22, 0xed, 0xa0, 0xbd, 0x22, 0x5d }, 2)] // CESU-style encoded surrogate D83D
    [InlineData(new byte[] { 0x5b, 0x22, 0xc0, 0xaf, 0x22, 0x5d }, 2)] // overlong '/'
    [InlineData(new byte[] { 0x5b, 0x22, 0x61, 0xe2, 0x82, 0x22, 0x5d }, 3)] // truncated sequence
    [InlineData(new byte[] { 0x5b, 0x22, 0xf4, 0x90, 0x80, 0x80, 0x22, 0x5d }, 2)] // above U+10FFFF
    [InlineData(new byte[] { 0x5b, 0x22, 0x80, 0x22, 0x5d }, 2)] // lone continuation byte
    [InlineData(new byte[] { 0x5b, 0x22, 0xff, 0x22, 0x5d }, 2)] // never valid in UTF-8
    public void Rejects_invalid_utf8_at_its_offset(byte[] input, int offset)
    {
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(input));
        Assert.Equal(JsonErrorKind.InvalidUtf8, e.Kind);
        Assert.Equal(offset, e.Offset);
    }

    [Fact]
    public void Invalid_utf8_in_a_key_is_refused()
    {
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse([.. "{\"a"u8, 0xed, 0xb0, 0x80, .. "\":1}"u8]));
        Assert.Equal(JsonErrorKind.InvalidUtf8, e.Kind);
        Assert.Equal(3, e.Offset);
    }

    [Fact]
    public void Byte_order_mark_is_refused()
    {
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse([0xef, 0xbb, 0xbf, .. "{}"u8]));
        Assert.Equal(JsonErrorKind.ByteOrderMark, e.Kind);
    }

    [Theory]
    [InlineData("-0", 0)]
    [InlineData("0", 0)]
    [InlineData("9007199254740991", 9007199254740991)]
    [InlineData("-9007199254740991", -9007199254740991)]
    [InlineData(" 42 ", 42)]
    public void Reads_integers_in_range(string input, long expected)
    {
        var v = Assert.IsType<JsonInteger>(CanonicalJson.Parse(Utf8(input)));
        Assert.Equal(expected, v.Value);
    }

    [Fact]
    public void Negative_zero_is_written_as_zero() => Assert.Equal("{\"a\":0}", Text(CanonicalJson.Canonicalize(Utf8("{\"a\": -0}"))));

    [Fact]
    public void Depth_limit_is_exact()
    {
        var limits = new CanonicalJsonLimits { MaxDepth = 64 };
        var ok = new string('[', 64) + new string(']', 64);
        Assert.IsType<JsonArray>(CanonicalJson.Parse(Utf8(ok), limits));

        var tooDeep = new string('[', 65) + new string(']', 65);
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(Utf8(tooDeep), limits));
        Assert.Equal(JsonErrorKind.TooDeep, e.Kind);
        Assert.Equal(64, e.Offset);
        Assert.Equal("$" + string.Concat(Enumerable.Repeat("[0]", 64)), e.Path);
    }

    [Fact]
    public void Default_depth_limit_is_documented_value_and_deep_input_does_not_overflow_the_stack()
    {
        Assert.Equal(128, CanonicalJsonLimits.DefaultMaxDepth);
        var deep = new string('[', 100_000) + new string(']', 100_000);
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(Utf8(deep)));
        Assert.Equal(JsonErrorKind.TooDeep, e.Kind);
        Assert.Equal(128, e.Offset);
    }

    [Fact]
    public void Size_limit_is_exact()
    {
        var limits = new CanonicalJsonLimits { MaxBytes = 10 };
        Assert.IsType<JsonString>(CanonicalJson.Parse(Utf8("\"12345678\""), limits));
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Parse(Utf8("\"123456789\""), limits));
        Assert.Equal(JsonErrorKind.TooLarge, e.Kind);
        Assert.Equal(4 * 1024 * 1024, CanonicalJsonLimits.DefaultMaxBytes);
    }

    [Fact]
    public void ParseObject_refuses_other_top_level_values()
    {
        var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.ParseObject(Utf8("[1]")));
        Assert.Equal(JsonErrorKind.NotAnObject, e.Kind);
    }

    [Fact]
    public void Escapes_decode_to_the_same_string_as_raw_text()
    {
        var escaped = CanonicalJson.Parse(Utf8("[\"\\u65E5\\u672c\\/\\ud83d\\ude00\\\"\\\\\\b\\f\\n\\r\\t\\u0000\"]"));
        var expected = new JsonArray("日本/😀\"\\\b\f\n\r\t\0");
        Assert.Equal(expected, escaped);
    }

    [Fact]
    public void Objects_are_sorted_by_code_point_not_utf16()
    {
        // U+FB33 (BMP, above the surrogate range) sorts before U+1F600 in code-point order; UTF-16 order reverses them.
        var obj = CanonicalJson.ParseObject(Utf8("{\"😀\": 1, \"\uFB33\": 2, \"\": 0, \"a\": 3, \"ab\": 4}"));
        Assert.Equal(["", "a", "ab", "\uFB33", "😀"], obj.PropertyNames);
        Assert.Equal(1L, ((JsonInteger)obj["😀"]!).Value);
    }

    [Fact]
    public void Lookups_with_a_lone_surrogate_find_nothing()
    {
        var obj = CanonicalJson.ParseObject(Utf8("{\"\\ufffd\": 1}"));
        Assert.True(obj.ContainsKey("\ufffd"));
        Assert.False(obj.ContainsKey("\ud800"));
    }

    [Fact]
    public void TryParse_reports_instead_of_throwing()
    {
        Assert.False(CanonicalJson.TryParse(Utf8("[1.0]"), out var value, out var error));
        Assert.Null(value);
        Assert.Equal(JsonErrorKind.Float, error!.Kind);
        Assert.True(CanonicalJson.TryParse(Utf8("[1]"), out value, out error));
        Assert.Null(error);
        Assert.Equal(new JsonArray(1L), value);
    }
}
