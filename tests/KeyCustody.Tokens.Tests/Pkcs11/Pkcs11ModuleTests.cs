using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>Opening, closing and reopening tokens of one module in one process.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11ModuleTests
{
    [Fact]
    public async Task Closing_the_last_token_finalises_the_module_so_a_token_created_later_is_found()
    {
        var first = SoftHsm.CreateToken();
        using (var token = SoftHsm.Open(first))
        {
            Assert.Equal(first, token.Label);
        }

        var second = SoftHsm.CreateToken();
        using var another = SoftHsm.Open(second);
        Assert.Equal(second, another.Label);
        var interaction = new Prompts().With(SoftHsm.UserPin);
        var key = await another.GenerateKeyAsync(new KeyGenerationRequest("k", PinPolicy.Once), interaction);
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, [1, 2, 3], await another.SignAsync("k", new byte[] { 1, 2, 3 }, interaction)));
    }

    [Fact]
    public void A_token_is_found_by_serial_too_and_the_default_pool_fits_the_cores()
    {
        var label = SoftHsm.CreateToken();
        using var byLabel = SoftHsm.Open(label);
        Assert.Equal(Environment.ProcessorCount, byLabel.PoolSize);
        using var bySerial = KeyCustody.Tokens.Pkcs11.Pkcs11Token.Open(new KeyCustody.Tokens.Pkcs11.Pkcs11TokenOptions
        {
            ModulePath = SoftHsm.Module,
            TokenSerial = byLabel.Serial,
        });
        Assert.Equal(label, bySerial.Label);
        Assert.Equal(byLabel.Serial, bySerial.GetStatus().Serial);
        Assert.Equal("pkcs11", bySerial.GetStatus().Kind);
        Assert.Contains("SoftHSM", bySerial.GetStatus().Description, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => KeyCustody.Tokens.Pkcs11.Pkcs11Token.Open(new KeyCustody.Tokens.Pkcs11.Pkcs11TokenOptions
        {
            ModulePath = SoftHsm.Module,
            TokenLabel = label,
            TokenSerial = byLabel.Serial,
        }));
    }

    [Fact]
    public void A_missing_module_is_named()
    {
        var error = Assert.Throws<TokenNotFoundException>(() => KeyCustody.Tokens.Pkcs11.Pkcs11Token.Open(
            new KeyCustody.Tokens.Pkcs11.Pkcs11TokenOptions { ModulePath = "/nonexistent/libpkcs11.so", TokenLabel = "x" }));
        Assert.Contains("/nonexistent/libpkcs11.so", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_token_objects_on_one_token_share_the_login()
    {
        var label = SoftHsm.CreateToken();
        using var first = SoftHsm.Open(label, poolSize: 1);
        using var second = SoftHsm.Open(label, poolSize: 1);
        var prompts = new Prompts();
        await first.GenerateKeyAsync(new KeyGenerationRequest("k", PinPolicy.Once), prompts.With(SoftHsm.UserPin));
        await first.LoginAsync(prompts.With(SoftHsm.UserPin));
        prompts.PinRequests.Clear();
        var signature = await second.SignAsync("k", new byte[] { 7 }, TokenInteraction.None);
        Assert.True(Ed25519Oracle.Verifies(second.GetKey("k").PublicKey, [7], signature));
        Assert.Empty(prompts.PinRequests);
    }
}
