using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>Parallel signing over the session pool, and a token that disappears, against real SoftHSM2.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11PoolTests
{
    private static readonly byte[] Message = "{\"master_key\":\"x\"}"u8.ToArray();

    [Fact]
    public async Task Four_concurrent_signers_over_a_pool_of_two_all_produce_valid_signatures()
    {
        using var token = SoftHsm.Open(SoftHsm.CreateToken(), poolSize: 2);
        Assert.Equal(2, token.PoolSize);
        var prompts = new Prompts();
        var key = await token.GenerateKeyAsync(new KeyGenerationRequest("ssk", PinPolicy.Once), prompts.With(SoftHsm.UserPin));
        await token.LoginAsync(prompts.With(SoftHsm.UserPin));

        using var start = new Barrier(4);
        var signers = Enumerable.Range(0, 4).Select(signer => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                var results = new List<(byte[] Message, byte[] Signature)>();
                for (int i = 0; i < 50; i++)
                {
                    var message = System.Text.Encoding.UTF8.GetBytes($"{{\"signer\":{signer},\"n\":{i}}}");
                    results.Add((message, token.SignAsync("ssk", message, TokenInteraction.None).GetAwaiter().GetResult()));
                }

                return results;
            },
            TaskCreationOptions.LongRunning)).ToArray();

        var all = (await Task.WhenAll(signers)).SelectMany(results => results).ToList();
        Assert.Equal(200, all.Count);
        Assert.All(all, result => Assert.True(Ed25519Oracle.Verifies(key.PublicKey, result.Message, result.Signature)));
        Assert.Equal(200, all.Select(result => Convert.ToHexString(result.Signature)).Distinct().Count());
    }

    [Fact]
    public async Task A_token_that_disappears_gives_a_clear_error_and_no_crash()
    {
        var label = SoftHsm.CreateToken();
        using var token = SoftHsm.Open(label, poolSize: 2);
        var prompts = new Prompts();
        await token.GenerateKeyAsync(new KeyGenerationRequest("usk", PinPolicy.Once), prompts.With(SoftHsm.UserPin));
        await token.SignAsync("usk", Message, prompts.With(SoftHsm.UserPin));

        SoftHsm.DeleteToken(label);

        // SoftHSM2 invalidates the key's handle (CKR_OBJECT_HANDLE_INVALID): the token is gone, nothing was signed.
        var error = await Assert.ThrowsAsync<TokenRemovedException>(() => token.SignAsync("usk", Message, prompts.With(SoftHsm.UserPin)));
        Assert.Contains(label, error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was signed", error.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<TokenException>(() => token.GetStatus());
        Assert.ThrowsAny<TokenException>(() => SoftHsm.Open(label));
    }
}
