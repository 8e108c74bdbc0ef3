using KeyCustody.Tests.Shared;
using KeyCustody.Tokens.Pkcs11;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// Keys named by label or CKA_ID on a SoftHSM2 token laid out as Yubico's ykcs11 lays out a YubiKey (differing labels
/// on the two halves, CKA_ID pairing, CKA_ALWAYS_AUTHENTICATE on slot 9c's key): every name finds the pair, the
/// always-authenticate key logs in with CKU_CONTEXT_SPECIFIC (so asks for the PIN) before each signature.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class PairedByIdTests : IDisposable
{
    private static readonly byte[] Message = "{\"user_id\":\"@alice:example.org\"}"u8.ToArray();
    private readonly Prompts _prompts = new();
    private readonly Pkcs11Token _token;

    public PairedByIdTests()
    {
        var label = SoftHsm.CreateToken();
        Ykcs11LikeLayout.Write(SoftHsm.Module, SoftHsm.Tokens.ConfigPath, label, SoftHsm.UserPin, [(0x02, Ykcs11LikeLayout.Signature, true), (0x01, Ykcs11LikeLayout.Authentication, false)]);
        _token = SoftHsm.Open(label);
    }

    [Theory]
    [InlineData("id:02")]
    [InlineData("Public key for Digital Signature")]
    [InlineData("label:Public key for Digital Signature")]
    [InlineData("label:Private key for Digital Signature")]
    public async Task Every_name_of_the_pair_signs_with_the_one_key_and_always_authenticate_asks_each_time(string keyId)
    {
        var signatures = new List<byte[]>();
        for (int i = 0; i < 2; i++)
        {
            signatures.Add(await _token.SignAsync(keyId, Message, _prompts.With(SoftHsm.UserPin)));
        }

        var key = _token.GetKey(keyId);
        Assert.All(signatures, signature => Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature)));
        Assert.Equal(key.PublicKey, _token.GetKey("id:02").PublicKey);
        Assert.Equal(PinPolicy.Always, key.PinPolicy);
        Assert.Equal(TouchPolicy.Never, key.TouchPolicy);
        Assert.Equal(keyId, key.Id);

        // The login, then the context-specific login before each signature (CKA_ALWAYS_AUTHENTICATE).
        Assert.Equal(2, _prompts.PinRequests.Count);
        Assert.All(_prompts.PinRequests, prompt => Assert.Equal(keyId, prompt.KeyId));
    }

    [Fact]
    public async Task A_key_without_always_authenticate_asks_for_the_pin_once()
    {
        await _token.SignAsync("id:01", Message, _prompts.With(SoftHsm.UserPin));
        await _token.SignAsync("Private key for PIV Authentication", Message, _prompts.With(SoftHsm.UserPin));
        Assert.Single(_prompts.PinRequests);
        Assert.Equal(PinPolicy.Once, _token.GetKey("id:01").PinPolicy);
        Assert.NotEqual(_token.GetKey("id:01").PublicKey, _token.GetKey("id:02").PublicKey);
    }

    [Fact]
    public async Task The_key_list_names_each_ed25519_pair_once_by_a_name_that_finds_it()
    {
        await _token.LoginAsync(_prompts.With(SoftHsm.UserPin));
        var keys = _token.ListKeys();
        Assert.Equal(["Public key for Digital Signature", "Public key for PIV Authentication"], keys.Select(key => key.Id));
        Assert.All(keys, key => Assert.Equal(key.PublicKey, _token.GetKey(key.Id).PublicKey));
    }

    [Fact]
    public void Names_that_do_not_fit_say_why()
    {
        Assert.Contains("ykcs11", Assert.Throws<NotSupportedByTokenException>(() => _token.GetKey("slot:9c")).Message, StringComparison.Ordinal);
        Assert.Contains("hex", Assert.Throws<NotSupportedByTokenException>(() => _token.GetKey("id:2")).Message, StringComparison.Ordinal);
        Assert.Contains("EC (ECDSA/ECDH)", Assert.Throws<KeyNotFoundOnTokenException>(() => _token.GetKey("ecdsa")).Message, StringComparison.Ordinal);
        Assert.Contains("id:03", Assert.Throws<KeyNotFoundOnTokenException>(() => _token.GetKey("id:03")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_private_label_not_yet_visible_before_login_is_found_after_it()
    {
        Assert.Throws<KeyNotFoundOnTokenException>(() => _token.GetKey("Private key for Digital Signature"));
        var signature = await _token.SignAsync("Private key for Digital Signature", Message, _prompts.With(SoftHsm.UserPin));
        Assert.True(Ed25519Oracle.Verifies(_token.GetKey("id:02").PublicKey, Message, signature));
    }

    public void Dispose() => _token.Dispose();
}
