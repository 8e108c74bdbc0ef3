using KeyCustody.Matrix.Signing;
using KeyCustody.Matrix.Codecs;
using Xunit;

namespace KeyCustody.Matrix.Tests;

public class UnpaddedBase64Tests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("f", "Zg")]
    [InlineData("fo", "Zm8")]
    [InlineData("foo", "Zm9v")]
    [InlineData("foob", "Zm9vYg")]
    [InlineData("fooba", "Zm9vYmE")]
    [InlineData("foobar", "Zm9vYmFy")]
    public void Encodes_without_padding_and_decodes_back(string plain, string encoded)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(plain);
        Assert.Equal(encoded, UnpaddedBase64.Encode(bytes));
        Assert.Equal(bytes, UnpaddedBase64.Decode(encoded));
        Assert.True(UnpaddedBase64.IsCanonical(encoded));
    }

    [Theory]
    [InlineData("Zg==", "f")]
    [InlineData("Zm8=", "fo")]
    [InlineData("Zh", "f")] // non-zero trailing bits: accepted, like python unpaddedbase64, ruma and Go
    [InlineData("Zm9=", "fo")]
    public void Decodes_leniently(string encoded, string plain)
    {
        Assert.Equal(System.Text.Encoding.ASCII.GetBytes(plain), UnpaddedBase64.Decode(encoded));
    }

    [Theory]
    [InlineData("Zh")]
    [InlineData("Zg==")]
    public void Lenient_forms_are_not_canonical(string encoded) => Assert.False(UnpaddedBase64.IsCanonical(encoded));

    [Theory]
    [InlineData("Z", "cannot encode whole bytes")]
    [InlineData("Zm9vY", "cannot encode whole bytes")]
    [InlineData("Zg=", "padding")]
    [InlineData("Zg===", "padding")]
    [InlineData("Z=g=", "invalid base64 character")]
    [InlineData("Zm-v", "URL-safe")]
    [InlineData("Zm_v", "URL-safe")]
    [InlineData("Zm 9v", "invalid base64 character")]
    [InlineData("Zm9v\n", "invalid base64 character")]
    [InlineData("Zm9é", "invalid base64 character")]
    public void Refuses_with_a_reason(string encoded, string reason)
    {
        Assert.False(UnpaddedBase64.TryDecode(encoded, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        var e = Assert.Throws<FormatException>(() => UnpaddedBase64.Decode(encoded));
        Assert.Equal(error, e.Message);
    }

    [Fact]
    public void Round_trips_every_length_up_to_100()
    {
        var rng = new Random(1);
        for (var n = 0; n <= 100; n++)
        {
            var bytes = new byte[n];
            rng.NextBytes(bytes);
            var text = UnpaddedBase64.Encode(bytes);
            Assert.Equal(Convert.ToBase64String(bytes).TrimEnd('='), text);
            Assert.Equal(bytes, UnpaddedBase64.Decode(text));
        }
    }
    [Fact]
    public void A_public_key_read_from_any_accepted_spelling_is_named_by_its_canonical_base64()
    {
        var bytes = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();
        var canonical = UnpaddedBase64.Encode(bytes);
        var last = canonical[^1];

        // The last character carries 2 unused bits: a neighbour in the alphabet with other unused bits decodes the same.
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var sloppy = canonical[..^1] + Alphabet[Alphabet.IndexOf(last, StringComparison.Ordinal) + 1];
        foreach (var text in new[] { canonical, canonical + "=", sloppy })
        {
            Assert.True(Ed25519PublicKey.TryFromBase64(text, out var key, out var error), error);
            Assert.Equal(canonical, key!.Base64);
            Assert.Equal(bytes, key.Bytes.ToArray());
            Assert.Equal(new Ed25519PublicKey(bytes), key);
        }
    }
}
