using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using Xunit;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Matrix.Tests;

public class SignedJsonTests
{
    private static readonly byte[] Seed = Convert.FromHexString("6090c103d5e7af6b15a970fd563ed75549e6159719ae5c3c31dee4316fb75c0d");

    [Fact]
    public void Keeps_other_signatures_and_unsigned_and_overwrites_the_same_key_id()
    {
        using var key = Ed25519SoftwareKey.FromSeed(Seed);
        var obj = Parse("""
            {"a": 1, "unsigned": {"age": 5},
             "signatures": {"domain": {"ed25519:1": "old", "ed25519:2": "keep"}, "other": {"ed25519:x": "keep too"}}}
            """);
        var signed = SignedJson.Sign(obj, "domain", "1", key);
        var sigs = signed.GetObject("signatures")!;
        Assert.Equal("keep", sigs.GetObject("domain")!.GetString("ed25519:2"));
        Assert.Equal("keep too", sigs.GetObject("other")!.GetString("ed25519:x"));
        Assert.NotEqual("old", sigs.GetObject("domain")!.GetString("ed25519:1"));
        Assert.Equal(Parse("{\"age\": 5}"), signed["unsigned"]);
        Assert.True(SignedJson.Verify(signed, "domain", "ed25519:1", key.PublicKey).IsValid);

        // The signature covers neither signatures nor unsigned: it equals the one over {"a":1}.
        var bare = SignedJson.Sign(Parse("{\"a\": 1}"), "domain", "1", key);
        Assert.Equal(bare.GetObject("signatures")!.GetObject("domain")!.GetString("ed25519:1"), sigs.GetObject("domain")!.GetString("ed25519:1"));
    }

    [Fact]
    public void Signatures_by_different_keys_one_after_another_and_at_once_each_go_under_their_own_key_id()
    {
        // The key id's member name is kept from one signature to the next (a batch signs with one key): another key's
        // signature must never land under it.
        using var key = Ed25519SoftwareKey.FromSeed(Seed);
        var obj = Parse("{\"a\": 1}");
        var signature = new byte[Ed25519PublicKey.SignatureLength];
        key.Sign(CanonicalJson.EncodeForSigning(obj), signature);
        foreach (var name in new[] { "A", "B", "A", "A", "B" })
        {
            var ids = SignedJson.AddSignature(obj, "domain", name, signature).GetObject("signatures")!.GetObject("domain")!.PropertyNames;
            Assert.Equal(["ed25519:" + name], ids);
        }

        Parallel.For(0, 2000, i =>
        {
            var name = "k" + (i % 7).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var ids = SignedJson.AddSignature(obj, "domain", name, signature).GetObject("signatures")!.GetObject("domain")!.PropertyNames;
            Assert.Equal(["ed25519:" + name], ids);
        });
    }

    [Fact]
    public void Null_unsigned_is_dropped_like_python_signedjson()
    {
        using var key = Ed25519SoftwareKey.FromSeed(Seed);
        var signed = SignedJson.Sign(Parse("{\"a\": 1, \"unsigned\": null}"), "domain", "1", key);
        Assert.False(signed.ContainsKey("unsigned"));
    }

    [Fact]
    public void Nested_signatures_and_unsigned_are_signed()
    {
        using var key = Ed25519SoftwareKey.FromSeed(Seed);
        var signed = SignedJson.Sign(Parse("{\"inner\": {\"unsigned\": 1}}"), "domain", "1", key);
        var tampered = signed.With("inner", Parse("{\"unsigned\": 2}"));
        Assert.Equal(SignatureStatus.Invalid, SignedJson.Verify(tampered, "domain", "ed25519:1", key.PublicKey).Status);
    }

    [Theory]
    [InlineData("{\"signatures\": []}", "'signatures' must be an object")]
    [InlineData("{\"signatures\": {\"domain\": \"x\"}}", "signatures[domain] must be an object")]
    public void Refuses_to_sign_what_cannot_hold_the_signature(string json, string message)
    {
        using var key = Ed25519SoftwareKey.FromSeed(Seed);
        var e = Assert.Throws<MatrixFormatException>(() => SignedJson.Sign(Parse(json), "domain", "1", key));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Refuses_empty_entity_and_key_name()
    {
        using var key = Ed25519SoftwareKey.FromSeed(Seed);
        Assert.Throws<MatrixFormatException>(() => SignedJson.Sign(JsonObject.Empty, "", "1", key));
        Assert.Throws<MatrixFormatException>(() => SignedJson.Sign(JsonObject.Empty, "domain", "", key));
    }

    [Fact]
    public void Verify_says_which_step_failed()
    {
        using var key = Ed25519SoftwareKey.FromSeed(Seed);
        using var other = Ed25519SoftwareKey.Generate();
        var signed = SignedJson.Sign(Parse("{\"a\": 1}"), "domain", "1", key);
        var sig = signed.GetObject("signatures")!.GetObject("domain")!.GetString("ed25519:1")!;

        Assert.Equal(SignatureStatus.Valid, SignedJson.Verify(signed, "domain", "ed25519:1", key.PublicKey).Status);
        Assert.Equal(SignatureStatus.NoSignatures, SignedJson.Verify(Parse("{}"), "domain", "ed25519:1", key.PublicKey).Status);
        Assert.Equal(SignatureStatus.SignaturesMalformed, SignedJson.Verify(Parse("{\"signatures\": 1}"), "domain", "ed25519:1", key.PublicKey).Status);
        Assert.Equal(SignatureStatus.NoSignatureFromEntity, SignedJson.Verify(signed, "other", "ed25519:1", key.PublicKey).Status);
        Assert.Equal(SignatureStatus.NoSignatureForKey, SignedJson.Verify(signed, "domain", "ed25519:2", key.PublicKey).Status);
        Assert.Equal(SignatureStatus.UnsupportedAlgorithm, SignedJson.Verify(signed, "domain", "curve25519:1", key.PublicKey).Status);
        Assert.Equal(SignatureStatus.Invalid, SignedJson.Verify(signed, "domain", "ed25519:1", other.PublicKey).Status);
        Assert.Equal(SignatureStatus.Invalid, SignedJson.Verify(signed.With("a", 2L), "domain", "ed25519:1", key.PublicKey).Status);

        JsonObject WithSig(JsonValue s) => signed.With("signatures", JsonObject.Of(("domain", JsonObject.Of(("ed25519:1", s)))));
        Assert.Equal(SignatureStatus.SignatureMalformed, SignedJson.Verify(WithSig(5L), "domain", "ed25519:1", key.PublicKey).Status);
        Assert.Equal(SignatureStatus.SignatureMalformed, SignedJson.Verify(WithSig("!!"), "domain", "ed25519:1", key.PublicKey).Status);
        Assert.Equal(SignatureStatus.SignatureMalformed, SignedJson.Verify(WithSig(sig[..40]), "domain", "ed25519:1", key.PublicKey).Status);
        Assert.Equal(SignatureStatus.Valid, SignedJson.Verify(WithSig(sig + "=="), "domain", "ed25519:1", key.PublicKey).Status);

        // A malformed signature's reason names what the decoder found where, whether it is read as ASCII bytes or as text.
        var urlSafe = SignedJson.Verify(WithSig(sig[..10] + "-" + sig[11..]), "domain", "ed25519:1", key.PublicKey);
        Assert.Contains("invalid base64 character '-' at position 10 (the URL-safe alphabet", urlSafe.Reason, StringComparison.Ordinal);
        var accented = SignedJson.Verify(WithSig("\u00e9\u00e9" + sig[2..]), "domain", "ed25519:1", key.PublicKey);
        Assert.Contains("is not base64: invalid base64 character at position 0", accented.Reason, StringComparison.Ordinal);
        var late = SignedJson.Verify(WithSig(sig[..20] + "\u00e9" + sig[21..]), "domain", "ed25519:1", key.PublicKey);
        Assert.Contains("invalid base64 character at position 20", late.Reason, StringComparison.Ordinal);
        var tooLong = SignedJson.Verify(WithSig(sig + sig + "-"), "domain", "ed25519:1", key.PublicKey);
        Assert.Contains("invalid base64 character '-' at position 172", tooLong.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSignature_verifies_before_storing()
    {
        using var key = Ed25519SoftwareKey.FromSeed(Seed);
        var obj = Parse("{\"a\": 1, \"unsigned\": {\"x\": 1}}");
        var bytes = SignedJson.SigningBytes(obj, "domain");
        Assert.Equal("{\"a\":1}", Text(bytes));
        var signature = new byte[64];
        key.Sign(bytes, signature);

        var signed = SignedJson.AddSignature(obj, "domain", "1", signature, key.PublicKey);
        Assert.True(SignedJson.Verify(signed, "domain", "ed25519:1", key.PublicKey).IsValid);

        signature[0] ^= 1;
        var e = Assert.Throws<MatrixFormatException>(() => SignedJson.AddSignature(obj, "domain", "1", signature, key.PublicKey));
        Assert.Contains("does not verify", e.Message, StringComparison.Ordinal);
        Assert.Throws<MatrixFormatException>(() => SignedJson.AddSignature(obj, "domain", "1", new byte[63]));
    }
}
