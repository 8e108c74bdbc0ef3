using KeyCustody.HwSim.Touch;
using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Errors;

/// <summary>
/// A token handle closed while other threads still use it, as the daemon does when it opens a token again after a
/// device error while its health probe or another request holds the old handle: closing waits for the operation
/// inside the token, and whoever comes later gets a token error, never an ObjectDisposedException or a crash.
/// (Found by the fault-and-load run: a disposed PIV gate stopped the daemon's health monitor and the daemon.)
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class ClosedWhileInUseTests
{
    private static readonly byte[] Message = "{\"closed\":\"while in use\"}"u8.ToArray();

    [Fact]
    public async Task Piv_closing_waits_for_the_signature_in_progress_and_the_next_caller_gets_a_token_error()
    {
        using var rig = new InProcessRig();
        var card = rig.Insert(33445566);
        var token = PivToken.Open(rig.Readers, 33445566);
        var prompts = new Prompts();
        var key = await token.GenerateKeyAsync(new KeyGenerationRequest("9c", PinPolicy.Never, TouchPolicy.Always), prompts.With("123456"));

        card.Button.Configure(TouchMode.Manual, timeout: TimeSpan.FromSeconds(60));
        var signing = Task.Run(() => token.SignAsync("9c", Message, prompts.With("123456")));
        Assert.True(card.Button.WaitUntilWaiting(PivRig.Patience));

        // The signature holds the card; the status probe and the close both queue behind it.
        var probing = Task.Run(() => token.GetStatus());
        var closing = Task.Run(token.Dispose);
        await Task.Delay(200);
        Assert.False(closing.IsCompleted, "the token was closed under a signature waiting for a touch");

        Assert.True(card.Button.Touch());
        var signature = await signing;
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
        await closing;

        // The probe either ran before the close or was refused by it: a token error, not ObjectDisposedException.
        var probed = await Record.ExceptionAsync(() => probing);
        Assert.True(probed is null or TokenRemovedException, $"probe after close: {probed}");
        var after = await Assert.ThrowsAsync<TokenRemovedException>(() => token.SignAsync("9c", Message, prompts.With("123456")));
        Assert.Contains("nothing was signed", after.Message, StringComparison.Ordinal);
        Assert.Throws<TokenRemovedException>(() => token.GetStatus());
        token.Dispose();
    }

    [Fact]
    public async Task Pkcs11_closing_under_concurrent_signers_waits_for_them_and_refuses_the_rest()
    {
        var token = SoftHsm.Open(SoftHsm.CreateToken(), poolSize: 2);
        var prompts = new Prompts();
        var key = await token.GenerateKeyAsync(new KeyGenerationRequest("ssk", PinPolicy.Once), prompts.With(SoftHsm.UserPin));
        await token.LoginAsync(prompts.With(SoftHsm.UserPin));

        var signedSoFar = new int[4];
        var signers = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            var (signed, refused) = (0, 0);
            while (true)
            {
                try
                {
                    var signature = await token.SignAsync("ssk", Message, TokenInteraction.None);
                    Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
                    signed++;
                    Volatile.Write(ref signedSoFar[i], signed);
                }
                catch (TokenRemovedException)
                {
                    refused++;
                    break;
                }
            }

            return (signed, refused);
        })).ToArray();

        // Close while all four are signing (each has signed at least once).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (signedSoFar.Any(n => Volatile.Read(ref n) == 0) && DateTime.UtcNow < deadline && !signers.Any(t => t.IsCompleted))
        {
            await Task.Delay(10);
        }

        await Task.Run(token.Dispose);
        var results = await Task.WhenAll(signers);

        // Every signer signed before the close and was refused after it; none saw a disposed object.
        Assert.All(results, r => Assert.True(r.signed > 0 && r.refused == 1, $"signed {r.signed}, refused {r.refused}"));
        Assert.Throws<TokenRemovedException>(() => token.GetStatus());
        token.Dispose();
    }
}
