using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using Xunit;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Matrix.Tests;

/// <summary>Every vector in tests/vectors/matrix-signing.json.</summary>
public class VectorTests
{
    public static TheoryData<int> CanonicalCases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Root.GetProperty("canonical_json_examples").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CanonicalCases))]
    public void Canonical_json_example(int index)
    {
        var example = Root.GetProperty("canonical_json_examples")[index];
        var input = Utf8(example.GetProperty("input").GetString()!);
        var expected = example.GetProperty("canonical").GetString()!;
        if (expected == "REJECT")
        {
            var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Canonicalize(input));
            Assert.False(string.IsNullOrEmpty(e.Detail));
        }
        else
        {
            Assert.Equal(expected, Text(CanonicalJson.Canonicalize(input)));
        }
    }

    [Fact]
    public void Spec_seed_decodes_leniently_to_the_published_hex()
    {
        var spec = Root.GetProperty("spec");
        var seed = UnpaddedBase64.Decode(spec.GetProperty("seed").GetString()!);
        Assert.Equal(spec.GetProperty("seed_hex").GetString(), Convert.ToHexStringLower(seed));
        Assert.False(UnpaddedBase64.IsCanonical(spec.GetProperty("seed").GetString()!));
        using var key = Ed25519SoftwareKey.FromSeed(seed);
        Assert.Equal(spec.GetProperty("public_key").GetString(), key.PublicKey.Base64);
    }

    [Fact]
    public void Spec_signing_cases_sign_and_verify_byte_for_byte()
    {
        var spec = Root.GetProperty("spec");
        using var key = Ed25519SoftwareKey.FromSeed(Convert.FromHexString(spec.GetProperty("seed_hex").GetString()!));
        var entity = spec.GetProperty("entity").GetString()!;
        var keyId = spec.GetProperty("key_id").GetString()!;
        var cases = spec.GetProperty("cases");
        Assert.Equal(2, cases.GetArrayLength());
        foreach (var c in cases.EnumerateArray())
        {
            var input = CanonicalJson.ParseObject(Utf8(c.GetProperty("input").GetRawText()));
            var expected = CanonicalJson.ParseObject(Utf8(c.GetProperty("signed").GetRawText()));
            var signed = SignedJson.Sign(input, entity, keyId["ed25519:".Length..], key);
            Assert.Equal(Canonical(expected), Canonical(signed));
            Assert.True(SignedJson.Verify(expected, entity, keyId, key.PublicKey).IsValid);
        }
    }

    [Theory]
    [InlineData("alice_master", "alice_msk")]
    [InlineData("alice_self_signing", "alice_ssk")]
    [InlineData("alice_user_signing", "alice_usk")]
    [InlineData("bob_master", "bob_msk")]
    [InlineData("alice_device_JLAFKJWSCS_ed25519_ascii", "alice_device_ed25519")]
    public void Seeds_derive_the_published_public_keys(string seed, string publicKey)
    {
        using var key = Key(seed);
        Assert.Equal(PublicKey(publicKey), key.PublicKey.Base64);
    }

    [Theory]
    [InlineData("alice_self_signing", "canonical_ssk", "@alice:example.org", "alice_master", "alice_msk")]
    [InlineData("alice_user_signing", "canonical_usk", "@alice:example.org", "alice_master", "alice_msk")]
    [InlineData("alice_device_cross_signed", "canonical_device", "@alice:example.org", "alice_self_signing", "alice_ssk")]
    [InlineData("alice_device_cross_signed", "canonical_device", "@alice:example.org", "alice_device_JLAFKJWSCS_ed25519_ascii", null)]
    [InlineData("bob_master_signed_by_alice_usk", "canonical_bob_master", "@alice:example.org", "alice_user_signing", "alice_usk")]
    [InlineData("alice_master_signed_by_device", "canonical_alice_master", "@alice:example.org", "alice_device_JLAFKJWSCS_ed25519_ascii", null)]
    public void Derived_cross_signing_objects_reproduce_exactly(string objectName, string canonicalName, string entity, string signerSeed, string? signerKeyName)
    {
        var signed = Object(objectName);
        var expectedBytes = Root.GetProperty("cross_signing").GetProperty("canonical_bytes_signed").GetProperty(canonicalName).GetString()!;
        Assert.Equal(expectedBytes, Text(CanonicalJson.EncodeForSigning(signed)));

        using var signer = Key(signerSeed);
        var keyName = signerKeyName is null ? "JLAFKJWSCS" : PublicKey(signerKeyName);
        var keyId = "ed25519:" + keyName;
        Assert.True(SignedJson.Verify(signed, entity, keyId, signer.PublicKey).IsValid);

        // Ed25519 is deterministic: signing the stripped object again gives the published signature.
        var resigned = SignedJson.Sign(signed.Without("signatures"), entity, keyName, signer);
        Assert.Equal(
            signed.GetObject("signatures")!.GetObject(entity)!.GetString(keyId),
            resigned.GetObject("signatures")!.GetObject(entity)!.GetString(keyId));
    }
}
