using CsCheck;
using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using Xunit;

namespace KeyCustody.Matrix.Tests;

/// <summary>Properties over generated trees (CsCheck, with shrinking): round trip, fixed point, signatures.</summary>
public class PropertyTests
{
    /// <summary>Any Unicode scalar value, weighted towards the awkward ones.</summary>
    private static readonly Gen<int> CodePoint = Gen.Frequency(
        (4, Gen.Int[0x20, 0x7e]),
        (2, Gen.Int[0x00, 0x1f]),
        (1, Gen.OneOfConst(0x22, 0x5c, 0x2f, 0x7f, 0x2028, 0x2029, 0xfeff, 0xfffe, 0xffff, 0xfb33, 0x1f600, 0x10ffff)),
        (2, Gen.Int[0x80, 0xd7ff]),
        (2, Gen.Int[0xe000, 0xffff]),
        (2, Gen.Int[0x10000, 0x10ffff]));

    private static readonly Gen<string> Text = CodePoint.Array[0, 8].Select(cps => string.Concat(cps.Select(char.ConvertFromUtf32)));

    private static readonly Gen<long> Integer = Gen.Frequency(
        (3, Gen.Long[JsonInteger.MinValue, JsonInteger.MaxValue]),
        (1, Gen.OneOfConst(0L, -1L, JsonInteger.MaxValue, JsonInteger.MinValue)),
        (2, Gen.Long[-100, 100]));

    private static readonly Gen<JsonValue> Value = Gen.Recursive<JsonValue>((depth, value) =>
    {
        var leaf = Gen.OneOf<JsonValue>(
            Gen.Const<JsonValue>(JsonNull.Instance),
            Gen.Bool.Select(b => (JsonValue)JsonBoolean.From(b)),
            Integer.Select(i => (JsonValue)new JsonInteger(i)),
            Text.Select(s => (JsonValue)new JsonString(s)));
        if (depth >= 5)
        {
            return leaf;
        }

        return Gen.Frequency(
            (3, leaf),
            (1, value.Array[0, 4].Select(items => (JsonValue)new JsonArray(items))),
            (1, Gen.Dictionary(Text, value)[0, 4].Select(d => (JsonValue)new JsonObject(d))));
    });

    [Fact]
    public void Read_of_write_is_identity() =>
        Value.Sample(v => Assert.Equal(v, CanonicalJson.Parse(CanonicalJson.Encode(v))), iter: 20_000);

    [Fact]
    public void Canonical_output_is_a_fixed_point() =>
        Value.Sample(v =>
        {
            var once = CanonicalJson.Encode(v);
            Assert.Equal(once, CanonicalJson.Canonicalize(once));
        }, iter: 20_000);

    [Fact]
    public void Canonical_output_is_valid_utf8_without_raw_controls_or_whitespace() =>
        Value.Sample(v =>
        {
            var bytes = CanonicalJson.Encode(v);
            Assert.True(System.Text.Unicode.Utf8.IsValid(bytes));
            Assert.DoesNotContain(bytes, b => b < 0x20);
        }, iter: 5_000);

    [Fact]
    public void Signatures_verify_and_ignore_signatures_and_unsigned()
    {
        using var key = Ed25519SoftwareKey.Generate();
        Gen.Dictionary(Text, Value)[0, 5].Select(d => new JsonObject(d)).Sample(obj =>
        {
            if (obj["signatures"] is { } s && s is not JsonObject)
            {
                obj = obj.Without("signatures");
            }

            if (obj.GetObject("signatures")?["e"] is { } e && e is not JsonObject)
            {
                obj = obj.Without("signatures");
            }

            var signed = SignedJson.Sign(obj, "e", "k", key);
            Assert.True(SignedJson.Verify(signed, "e", "ed25519:k", key.PublicKey).IsValid);
            var withUnsigned = signed.With("unsigned", JsonObject.Of(("x", 1L)));
            Assert.True(SignedJson.Verify(withUnsigned, "e", "ed25519:k", key.PublicKey).IsValid);
        }, iter: 2_000);
    }

    [Fact]
    public void Base64_round_trips_and_is_canonical() =>
        Gen.Byte.Array[0, 100].Sample(bytes =>
        {
            var text = UnpaddedBase64.Encode(bytes);
            Assert.Equal(bytes, UnpaddedBase64.Decode(text));
            Assert.True(UnpaddedBase64.IsCanonical(text));
            Assert.DoesNotContain('=', text);
        }, iter: 5_000);
}
