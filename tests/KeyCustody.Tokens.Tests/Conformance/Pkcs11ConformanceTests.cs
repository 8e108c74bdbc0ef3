using KeyCustody.Tokens.Pkcs11;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Conformance;

/// <summary>The conformance suite (no touch) against a real SoftHSM2 token this test creates.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11ConformanceTests : TokenConformanceTests
{
    private readonly Pkcs11Token _token;

    public Pkcs11ConformanceTests()
    {
        _token = SoftHsm.Open(SoftHsm.CreateToken());
    }

    protected override ISigningToken Token => _token;

    protected override string CorrectPin => SoftHsm.UserPin;

    protected override string WrongPin => "000000";

    /// <summary>SoftHSM2 keeps no retry counter (and never blocks the PIN): retries are unknown.</summary>
    protected override int? InitialRetries => null;

    protected override bool ExpectHardwareBacked => false;

    protected override string KeyId(int index) => $"matrix-key-{index}";

    [Fact]
    public async Task Private_keys_are_sensitive_and_not_extractable()
    {
        await Generate(0, PinPolicy.Once);
        Assert.Equal(KeyOrigin.Unknown, Token.GetKey(KeyId(0)).Origin);
        await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));
        var key = Token.GetKey(KeyId(0));
        Assert.Equal(KeyOrigin.Generated, key.Origin);
        Assert.Equal(PinPolicy.Once, key.PinPolicy);
        Assert.True(SoftHsmInspector.IsSensitiveAndNeverExtractable(_token.Label, KeyId(0)));
    }

    [Fact]
    public void Attestation_is_not_supported() =>
        Assert.Throws<NotSupportedByTokenException>(() => Token.Attest(KeyId(0)));

    [Fact]
    public async Task Touch_policies_are_refused()
    {
        var error = await Assert.ThrowsAsync<NotSupportedByTokenException>(() =>
            Token.GenerateKeyAsync(new KeyGenerationRequest(KeyId(0), PinPolicy.Once, TouchPolicy.Always), Prompts.With(CorrectPin)));
        Assert.Contains("touch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_token_is_named()
    {
        var error = Assert.Throws<TokenNotFoundException>(() => SoftHsm.Open("no-such-token"));
        Assert.Contains("no-such-token", error.Message, StringComparison.Ordinal);
        Assert.Contains(_token.Label, error.Message, StringComparison.Ordinal);
    }

    public override void Dispose()
    {
        _token.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }
}
