using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.SecretStorage;
using Xunit;
using static KeyCustody.Tests.Shared.TestData;

namespace KeyCustody.Matrix.Tests.SecretStorage;

/// <summary>
/// The key check (the description's <c>iv</c> and <c>mac</c>): matrix-rust-sdk's published vectors
/// (secret_storage.rs tests <c>from_account_data_and_passphrase</c>, <c>from_account_data_and_base58</c>,
/// <c>invalid_key_info</c>, <c>accepts_any_passphrase_if_mac_and_iv_are_missing</c>) and the refusals.
/// </summary>
public sealed class KeyDescriptionTests
{
    private const string RustBase58Key = "EsTj 3yST y93F SLpB jJsz eAXc 2XzA ygD3 w69H fGaN TKBj jXEd";

    private static SecretStorageKeyDescription RustPassphraseDescription() => SecretStorageKeyDescription.Parse("DZkbKc0RtKSq0z8V61w6KBmJCK6OCiIu", Parse("""
        {"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"gH2iNpiETFhApvW6/FFEJQ","mac":"9Lw12m5SKDipNghdQXKjgpfdj1/K7HFI2brO+UWAGoM",
         "passphrase":{"algorithm":"m.pbkdf2","salt":"IuLnH7S85YtZmkkBJKwNUKxWF42g9O1H","iterations":10}}
        """));

    // Padded base64, as matrix-js-sdk writes it.
    private static SecretStorageKeyDescription RustBase58Description() => SecretStorageKeyDescription.Parse("bmur2d9ypPUH1msSwCxQOJkuKRmJI55e", Parse("""
        {"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"xv5b6/p3ExEw++wTyfSHEg==","mac":"ujBBbXahnTAMkmPUX2/0+VTfUh63pGyVRuBcDMgmJC8="}
        """));

    [Fact]
    public void The_rust_sdk_passphrase_vector_checks_and_a_wrong_passphrase_does_not()
    {
        var description = RustPassphraseDescription();
        Assert.Equal(10, description.Passphrase!.Iterations);
        using (var key = SecretStorageKey.FromPassphrase(description, "It's a secret to everybody"u8))
        {
            Assert.True(key.Checked);
        }

        var e = Assert.Throws<SecretStorageException>(() => SecretStorageKey.FromPassphrase(description, "It's a secret to nobody"u8));
        Assert.Equal(SecretStorageErrorKind.WrongKey, e.Kind);
        Assert.Equal("the passphrase is not the one of secret storage key 'DZkbKc0RtKSq0z8V61w6KBmJCK6OCiIu' (its check value does not match)", e.Message);
    }

    [Fact]
    public void The_rust_sdk_recovery_key_vector_checks_with_padded_base64_and_another_key_does_not()
    {
        var description = RustBase58Description();
        using (SecretStorageKey.FromRecoveryKey(description, Utf8(RustBase58Key)))
        {
        }

        var other = RecoveryKey.Encode(new byte[32]);
        var e = Assert.Throws<SecretStorageException>(() => SecretStorageKey.FromRecoveryKey(description, other));
        Assert.Equal(SecretStorageErrorKind.WrongKey, e.Kind);
        Assert.Contains("the recovery key is not the one of secret storage key 'bmur2d9ypPUH1msSwCxQOJkuKRmJI55e'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_check_values_unpadded_are_accepted()
    {
        var description = SecretStorageKeyDescription.Parse("bmur2d9ypPUH1msSwCxQOJkuKRmJI55e", Parse("""
            {"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"xv5b6/p3ExEw++wTyfSHEg","mac":"ujBBbXahnTAMkmPUX2/0+VTfUh63pGyVRuBcDMgmJC8"}
            """));
        using var key = SecretStorageKey.FromRecoveryKey(description, Utf8(RustBase58Key));
        Assert.True(key.Checked);
    }

    [Fact]
    public void A_passphrase_for_a_key_made_without_one_is_refused()
    {
        var e = Assert.Throws<SecretStorageException>(() => SecretStorageKey.FromPassphrase(RustBase58Description(), "anything"u8));
        Assert.Equal(SecretStorageErrorKind.Unsupported, e.Kind);
        Assert.Contains("was not made from a passphrase: give its recovery key", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"AAAAAAAAAAAAAAAAAAA","mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}""", "iv of 14 bytes, not 16")]
    [InlineData("""{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"AAAAAAAAAAAAAAAAAAAAAA","mac":"AAAAAAAAAAAAAA"}""", "mac of 10 bytes, not 32")]
    [InlineData("""{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"AAAAAAAAAAAAAAAAAAAAAA"}""", "only one of iv and mac")]
    [InlineData("""{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","iv":"A-AAAAAAAAAAAAAAAAAAAA","mac":"AAAAAAAAAAAAAA"}""", "iv that is not base64")]
    [InlineData("""{"iv":"AAAAAAAAAAAAAAAAAAAAAA"}""", "has no algorithm")]
    public void Malformed_descriptions_are_refused(string json, string why)
    {
        var e = Assert.Throws<SecretStorageException>(() => SecretStorageKeyDescription.Parse("k", Parse(json)));
        Assert.Equal(SecretStorageErrorKind.Malformed, e.Kind);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"algorithm":"m.secret_storage.custom","iv":"xv5b6/p3ExEw++wTyfSHEg==","mac":"ujBBbXahnTAMkmPUX2/0+VTfUh63pGyVRuBcDMgmJC8="}""", "uses 'm.secret_storage.custom'")]
    [InlineData("""{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","passphrase":{"algorithm":"m.argon2","salt":"s","iterations":1}}""", "'m.argon2' is not supported")]
    [InlineData("""{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","passphrase":{"algorithm":"m.pbkdf2","salt":"s","iterations":1,"bits":128}}""", "not 256 bits")]
    public void Unsupported_algorithms_are_named(string json, string why)
    {
        var e = Assert.Throws<SecretStorageException>(() => SecretStorageKeyDescription.Parse("k", Parse(json)));
        Assert.Equal(SecretStorageErrorKind.Unsupported, e.Kind);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("50000001")]
    [InlineData("\"10\"")]
    public void Iteration_counts_out_of_range_are_refused(string iterations)
    {
        var json = """{"algorithm":"m.secret_storage.v1.aes-hmac-sha2","passphrase":{"algorithm":"m.pbkdf2","salt":"s","iterations":N}}""".Replace("N", iterations, StringComparison.Ordinal);
        var e = Assert.Throws<SecretStorageException>(() => SecretStorageKeyDescription.Parse("k", Parse(json)));
        Assert.Contains("iterations must be an integer from 1 to 50000000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_check_values_any_key_is_taken_and_reported_unchecked()
    {
        // matrix-rust-sdk accepts_any_passphrase_if_mac_and_iv_are_missing: the spec says to assume the key is valid.
        var description = SecretStorageKeyDescription.Parse("my_new_key_id", Parse("""
            {"algorithm":"m.secret_storage.v1.aes-hmac-sha2","passphrase":{"algorithm":"m.pbkdf2","salt":"salty goodness","iterations":100}}
            """));
        using var key = SecretStorageKey.FromPassphrase(description, "It's a secret to nobody"u8);
        Assert.False(key.Checked);
    }

    [Fact]
    public void The_default_key_id_is_read_and_a_missing_one_refused()
    {
        Assert.Equal("abc", SecretStorageKeyDescription.DefaultKeyId(Parse("""{"key":"abc"}""")));
        Assert.Throws<SecretStorageException>(() => SecretStorageKeyDescription.DefaultKeyId(JsonObject.Empty));
    }
}
