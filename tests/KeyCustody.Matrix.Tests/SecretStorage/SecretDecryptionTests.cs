using System.Text;
using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.SecretStorage;
using KeyCustody.Matrix.Signing;
using Xunit;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Matrix.Tests.SecretStorage;

/// <summary>
/// Decrypting secrets: what matrix-js-sdk wrote (recovery key and passphrase; padded base64), the same with padding
/// removed, matrix-rust-sdk's <c>encrypted_data_decoding</c> vector, AES-256-CTR against NIST SP 800-38A, tampering.
/// </summary>
public sealed class SecretDecryptionTests
{
    public static TheoryData<string> Vectors => new() { "recovery_key", "passphrase" };

    private static SecretStorageKey Unlock(string which)
    {
        var vector = SecretStorageVectors.Root.GetProperty(which);
        var keyId = vector.GetProperty("key_id").GetString()!;
        var defaultKey = SecretStorageVectors.AccountData(vector, SecretStorageKeyDescription.DefaultKeyType);
        Assert.Equal(keyId, SecretStorageKeyDescription.DefaultKeyId(defaultKey));
        var description = SecretStorageKeyDescription.Parse(keyId, SecretStorageVectors.AccountData(vector, SecretStorageKeyDescription.KeyTypePrefix + keyId));
        return which == "passphrase"
            ? SecretStorageKey.FromPassphrase(description, Utf8(vector.GetProperty("passphrase").GetString()!))
            : SecretStorageKey.FromRecoveryKey(description, Utf8(vector.GetProperty("recovery_key").GetString()!));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void The_three_cross_signing_seeds_written_by_matrix_js_sdk_decrypt(string which)
    {
        using var key = Unlock(which);
        Assert.True(key.Checked);
        var vector = SecretStorageVectors.Root.GetProperty(which);
        foreach (var name in CrossSigningSecrets.All)
        {
            var content = SecretStorageVectors.AccountData(vector, name);
            using var seed = key.DecryptSeed(name, EncryptedSecret.Parse(name, key.Description.KeyId, content));
            Assert.Equal(SecretStorageVectors.Seed(name), seed.Span.ToArray());
        }
    }

    [Fact]
    public void The_master_seed_is_matrix_js_sdks_test_master_key()
    {
        using var key = Unlock("recovery_key");
        var content = SecretStorageVectors.AccountData(SecretStorageVectors.RecoveryKeyVector, CrossSigningSecrets.Master);
        using var seed = key.DecryptSeed(CrossSigningSecrets.Master, EncryptedSecret.Parse(CrossSigningSecrets.Master, key.Description.KeyId, content));
        using var signer = Ed25519SoftwareKey.FromSeed(seed.Span);
        Assert.Equal("J+5An10v1vzZpAXTYFokD1/PEVccFnLC61EfRXit0UY", signer.PublicKey.Base64);
    }

    [Fact]
    public void Unpadded_base64_everywhere_decrypts_the_same()
    {
        var vector = SecretStorageVectors.RecoveryKeyVector;
        var keyId = vector.GetProperty("key_id").GetString()!;
        var description = SecretStorageKeyDescription.Parse(keyId, Unpad(SecretStorageVectors.AccountData(vector, SecretStorageKeyDescription.KeyTypePrefix + keyId)));
        using var key = SecretStorageKey.FromRecoveryKey(description, Utf8(vector.GetProperty("recovery_key").GetString()!));
        var content = (JsonObject)Unpad(SecretStorageVectors.AccountData(vector, CrossSigningSecrets.SelfSigning));
        Assert.DoesNotContain("=", content.ToString(), StringComparison.Ordinal);
        using var seed = key.DecryptSeed(CrossSigningSecrets.SelfSigning, EncryptedSecret.Parse(CrossSigningSecrets.SelfSigning, keyId, content));
        Assert.Equal(SecretStorageVectors.Seed(CrossSigningSecrets.SelfSigning), seed.Span.ToArray());
    }

    [Fact]
    public void A_secret_decrypted_under_another_name_or_altered_fails_its_mac()
    {
        using var key = Unlock("recovery_key");
        var content = SecretStorageVectors.AccountData(SecretStorageVectors.RecoveryKeyVector, CrossSigningSecrets.Master);
        var secret = EncryptedSecret.Parse(CrossSigningSecrets.Master, key.Description.KeyId, content);

        // The name is the HKDF info: the self-signing secret's keys do not open the master secret.
        var e = Assert.Throws<SecretStorageException>(() => key.Decrypt(CrossSigningSecrets.SelfSigning, secret));
        Assert.Equal(SecretStorageErrorKind.SecretMac, e.Kind);

        var entry = content.GetObject("encrypted")!.GetObject(key.Description.KeyId)!;
        var flipped = UnpaddedBase64.Decode(entry.GetString("ciphertext")!);
        flipped[5] ^= 1;
        var altered = content.With("encrypted", JsonObject.Of((key.Description.KeyId, entry.With("ciphertext", UnpaddedBase64.Encode(flipped)))));
        e = Assert.Throws<SecretStorageException>(() => key.Decrypt(CrossSigningSecrets.Master, EncryptedSecret.Parse(CrossSigningSecrets.Master, key.Description.KeyId, altered)));
        Assert.Equal(SecretStorageErrorKind.SecretMac, e.Kind);
        Assert.Equal($"the secret m.cross_signing.master does not verify with key '{key.Description.KeyId}' (its MAC does not match: a wrong key, or the stored secret was altered)", e.Message);
    }

    [Theory]
    [InlineData("""{"encrypted":{}}""")]
    [InlineData("""{}""")]
    [InlineData("""{"encrypted":{"otherkey":{"iv":"bdfCwu+ECYgZ/jWTkGrQ/A==","ciphertext":"AA","mac":"NXeV1dZaOe2JLvQ6Hh6tFto7AgFFdaQnY0l9pruwdtE="}}}""")]
    public void A_secret_not_stored_under_the_key_is_reported_as_such(string json)
    {
        var e = Assert.Throws<SecretStorageException>(() => EncryptedSecret.Parse(CrossSigningSecrets.Master, "thekey", Parse(json)));
        Assert.Equal(SecretStorageErrorKind.NotStored, e.Kind);
        Assert.Equal(json != """{"encrypted":{"otherkey":{"iv":"bdfCwu+ECYgZ/jWTkGrQ/A==","ciphertext":"AA","mac":"NXeV1dZaOe2JLvQ6Hh6tFto7AgFFdaQnY0l9pruwdtE="}}}""", EncryptedSecret.IsErased(Parse(json)));
    }

    [Fact]
    public void The_rust_sdk_encrypted_data_vector_decodes_and_bad_lengths_are_refused()
    {
        // matrix-rust-sdk secret_storage.rs, test encrypted_data_decoding.
        var good = EncryptedSecret.Parse("s", "k", Parse("""
            {"encrypted":{"k":{"iv":"bdfCwu+ECYgZ/jWTkGrQ/A==","ciphertext":"lCRSSA1lChONEXj/8RyogsgAa8ouQwYDnLr4XBCheRikrZykLRzPCx3doCE=","mac":"NXeV1dZaOe2JLvQ6Hh6tFto7AgFFdaQnY0l9pruwdtE="}}}
            """));
        Assert.Equal(new byte[] { 53, 119, 149, 213, 214, 90, 57, 237, 137, 46, 244, 58, 30, 30, 173, 22, 218, 59, 2, 1, 69, 117, 164, 39, 99, 73, 125, 166, 187, 176, 118, 209 }, good.Mac);
        Assert.Equal(new byte[] { 109, 215, 194, 194, 239, 132, 9, 136, 25, 254, 53, 147, 144, 106, 208, 252 }, good.Iv);

        var badMac = Assert.Throws<SecretStorageException>(() => EncryptedSecret.Parse("s", "k", Parse("""
            {"encrypted":{"k":{"iv":"bdfCwu+ECYgZ/jWTkGrQ/A==","ciphertext":"lCRSSA1lChONEXj/8RyogsgAa8ouQwYDnLr4XBCheRikrZykLRzPCx3doCE=","mac":"NXeV1dZaOe2JLvQ6Hh6tFtgFFdaQnY0l9pruwdtE"}}}
            """)));
        Assert.Contains("mac of 30 bytes, not 32", badMac.Message, StringComparison.Ordinal);
        var badIv = Assert.Throws<SecretStorageException>(() => EncryptedSecret.Parse("s", "k", Parse("""
            {"encrypted":{"k":{"iv":"bdfCwu+gZ/jWTkGrQ/A","ciphertext":"lCRSSA1lChONEXj/8RyogsgAa8ouQwYDnLr4XBCheRikrZykLRzPCx3doCE=","mac":"NXeV1dZaOe2JLvQ6Hh6tFto7AgFFdaQnY0l9pruwdtE="}}}
            """)));
        Assert.Contains("iv of 14 bytes, not 16", badIv.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aes_256_ctr_matches_nist_sp_800_38a_f_5_5()
    {
        var key = Convert.FromHexString("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        var counter = Convert.FromHexString("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        var plaintext = Convert.FromHexString("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
        var output = new byte[plaintext.Length];
        AesCtr.Transform(key, counter, plaintext, output);
        Assert.Equal("601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6", Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Our_encryption_decrypts_and_its_iv_has_bit_63_cleared()
    {
        var description = SecretStorageKeyDescription.Parse("k", JsonObject.Of(("algorithm", SecretStorageKeyDescription.AesHmacSha2)));
        var raw = new byte[32];
        raw[3] = 9;
        using var key = SecretStorageKey.FromBytes(description, raw);
        for (var i = 0; i < 50; i++)
        {
            var seed = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            var encrypted = key.Encrypt(CrossSigningSecrets.UserSigning, SecretBase64.Encode(seed));
            Assert.Equal(0, encrypted.Iv[8] & 0x80);
            var json = JsonObject.Of(("encrypted", JsonObject.Of(("k", encrypted.ToJson()))));
            using var back = key.DecryptSeed(CrossSigningSecrets.UserSigning, EncryptedSecret.Parse(CrossSigningSecrets.UserSigning, "k", json));
            Assert.Equal(seed, back.Span.ToArray());
        }
    }

    [Fact]
    public void The_key_check_of_a_known_key_is_the_mac_matrix_js_sdk_stored()
    {
        var vector = SecretStorageVectors.RecoveryKeyVector;
        var keyId = vector.GetProperty("key_id").GetString()!;
        var description = SecretStorageVectors.AccountData(vector, SecretStorageKeyDescription.KeyTypePrefix + keyId);
        var check = AesHmacSha2Cipher.KeyCheck(Convert.FromHexString(vector.GetProperty("key_hex").GetString()!), UnpaddedBase64.Decode(description.GetString("iv")!));
        Assert.Equal(UnpaddedBase64.Decode(description.GetString("mac")!), check);
    }

    [Fact]
    public void The_specs_example_pbkdf2_parameters_derive_what_matrix_js_sdk_derives()
    {
        var example = SecretStorageVectors.Root.GetProperty("spec_example_pbkdf2");
        var info = PassphraseInfo.Parse(Parse("""{"algorithm":"m.pbkdf2","salt":"MmMsAlty","iterations":100000,"bits":256}"""));
        using var derived = info.Derive(Utf8(example.GetProperty("passphrase").GetString()!));
        Assert.Equal(example.GetProperty("key_hex").GetString(), Convert.ToHexStringLower(derived.Span));
    }

    [Theory]
    [InlineData("AAAA", 3)]
    [InlineData("AAA=", 2)]
    [InlineData("AA==", 1)]
    [InlineData("AA", 1)]
    public void Secret_base64_accepts_padded_and_unpadded(string text, int length)
    {
        using var decoded = SecretBase64.Decode(Encoding.ASCII.GetBytes(text));
        Assert.Equal(length, decoded!.Length);
    }

    [Theory]
    [InlineData("A")]
    [InlineData("AA=")]
    [InlineData("A-AA")]
    [InlineData("AA AA")]
    public void Secret_base64_refuses_what_is_not(string text) => Assert.Null(SecretBase64.Decode(Encoding.ASCII.GetBytes(text)));

    private static JsonValue Unpad(JsonValue value) => value switch
    {
        JsonString s => s.Value.TrimEnd('='),
        JsonObject o => new JsonObject(o.Select(kv => new KeyValuePair<string, JsonValue>(kv.Key, Unpad(kv.Value)))),
        _ => value,
    };

    private static JsonObject Unpad(JsonObject value) => (JsonObject)Unpad((JsonValue)value);
}
