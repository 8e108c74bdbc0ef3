using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Conformance;

/// <summary>
/// The conformance suite every hardware backend passes: generate, read the public key, sign (verified here with
/// NSec), PIN policies never/once/always, wrong PIN with retries reported, blocked PIN. Backends subclass it
/// with their token and what they know about PIN counters.
/// </summary>
public abstract class TokenConformanceTests : IDisposable
{
    internal Prompts Prompts { get; } = new();

    protected abstract ISigningToken Token { get; }

    protected abstract string CorrectPin { get; }

    protected abstract string WrongPin { get; }

    /// <summary>PIN attempts of a fresh token; null where the token does not count them (SoftHSM2).</summary>
    protected abstract int? InitialRetries { get; }

    protected virtual bool ExpectHardwareBacked => true;

    /// <summary>The least PIN policy the token has: never, or once on a token that always asks (an OpenPGP card).</summary>
    protected virtual PinPolicy LeastPinPolicy => PinPolicy.Never;

    /// <summary>A key name valid on this token; distinct per <paramref name="index"/>.</summary>
    protected abstract string KeyId(int index);

    protected byte[] Message { get; } = "{\"device_id\":\"JLAFKJWSCS\",\"user_id\":\"@alice:example.org\"}"u8.ToArray();

    /// <summary>Generates a key; the credentials generation itself needs (PKCS#11 login) are not counted as signing prompts.</summary>
    protected async Task<TokenKey> Generate(int index, PinPolicy? pin = null, TouchPolicy touch = TouchPolicy.Never)
    {
        var key = await Token.GenerateKeyAsync(new KeyGenerationRequest(KeyId(index), pin ?? LeastPinPolicy, touch), Prompts.With(CorrectPin));
        Prompts.PinRequests.Clear();
        return key;
    }

    [Fact]
    public async Task Generate_read_the_public_key_and_sign_verified()
    {
        var generated = await Generate(0);
        Assert.Equal(32, generated.PublicKey.Length);
        Assert.Equal(generated.PublicKey, Token.GetKey(KeyId(0)).PublicKey);
        Assert.Contains(Token.ListKeys(), key => key.Id == generated.Id && key.PublicKey.SequenceEqual(generated.PublicKey));

        var signature = await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));
        Assert.True(Ed25519Oracle.Verifies(generated.PublicKey, Message, signature));
        var tampered = Message.ToArray();
        tampered[^2] ^= 1;
        Assert.False(Ed25519Oracle.Verifies(generated.PublicKey, tampered, signature));

        var longMessage = Enumerable.Range(0, 1000).Select(i => (byte)(i * 31)).ToArray();
        Assert.True(Ed25519Oracle.Verifies(generated.PublicKey, longMessage, await Token.SignAsync(KeyId(0), longMessage, Prompts.With(CorrectPin))));
    }

    [Fact]
    public async Task Two_keys_are_different_keys()
    {
        var first = await Generate(0);
        var second = await Generate(1);
        Assert.NotEqual(first.PublicKey, second.PublicKey);
        var signature = await Token.SignAsync(KeyId(1), Message, Prompts.With(CorrectPin));
        Assert.True(Ed25519Oracle.Verifies(second.PublicKey, Message, signature));
        Assert.False(Ed25519Oracle.Verifies(first.PublicKey, Message, signature));
    }

    [Fact]
    public async Task A_signature_is_checked_against_the_callers_pinned_key_when_given()
    {
        var first = await Generate(0);
        var second = await Generate(1);

        var signature = await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin), first.PublicKey.ToArray());
        Assert.True(Ed25519Oracle.Verifies(first.PublicKey, Message, signature));

        // The token holds another key than the caller pinned (a replaced device): nothing is returned.
        var e = await Assert.ThrowsAsync<TokenException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin), second.PublicKey.ToArray()));
        Assert.Equal(TokenErrorKind.SignatureInvalid, e.Kind);
        await Assert.ThrowsAsync<TokenException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin), new byte[31]));
    }

    [Fact]
    public async Task Generating_over_an_existing_key_needs_an_explicit_overwrite()
    {
        var first = await Generate(0);
        await Assert.ThrowsAsync<KeyExistsException>(() => Generate(0));
        Assert.Equal(first.PublicKey, Token.GetKey(KeyId(0)).PublicKey);
        var replaced = await Token.GenerateKeyAsync(new KeyGenerationRequest(KeyId(0), LeastPinPolicy, TouchPolicy.Never) { Overwrite = true }, Prompts.With(CorrectPin));
        Assert.NotEqual(first.PublicKey, replaced.PublicKey);
    }

    [Fact]
    public async Task Pin_policy_never_signs_without_asking()
    {
        if (LeastPinPolicy != PinPolicy.Never)
        {
            // A token that always asks refuses "never" plainly, and makes no key.
            var refused = await Assert.ThrowsAsync<NotSupportedByTokenException>(() => Generate(0, PinPolicy.Never));
            Assert.Contains("'never'", refused.Message, StringComparison.Ordinal);
            Assert.Throws<KeyNotFoundOnTokenException>(() => Token.GetKey(KeyId(0)));
            return;
        }

        var key = await Generate(0, PinPolicy.Never);
        Assert.Equal(PinPolicy.Never, key.PinPolicy);
        var signature = await Token.SignAsync(KeyId(0), Message, TokenInteraction.None);
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
        Assert.Empty(Prompts.PinRequests);
    }

    [Fact]
    public async Task Pin_policy_once_asks_once()
    {
        var key = await Generate(0, PinPolicy.Once);
        Assert.Equal(PinPolicy.Once, key.PinPolicy);
        await Assert.ThrowsAsync<PinRequiredException>(() => Token.SignAsync(KeyId(0), Message, TokenInteraction.None));
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin))));
        }

        var prompt = Assert.Single(Prompts.PinRequests);
        Assert.Equal(InitialRetries, prompt.RetriesLeft);
    }

    [Fact]
    public async Task Pin_policy_always_asks_every_time()
    {
        var key = await Generate(0, PinPolicy.Always);
        Assert.Equal(PinPolicy.Always, key.PinPolicy);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin))));
        }

        Assert.Equal(3, Prompts.PinRequests.Count);
        await Assert.ThrowsAsync<PinRequiredException>(() => Token.SignAsync(KeyId(0), Message, TokenInteraction.None));
    }

    [Fact]
    public async Task Wrong_pin_reports_the_retries_left_and_the_right_pin_still_works()
    {
        var key = await Generate(0, PinPolicy.Once);
        var wrong = await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(WrongPin)));
        Assert.Equal(InitialRetries - 1, wrong.RetriesLeft);
        Assert.Equal(InitialRetries - 1, Token.GetStatus().PinRetriesLeft);
        Assert.Contains("Wrong PIN", wrong.Message, StringComparison.Ordinal);

        var signature = await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
        Assert.Equal(InitialRetries, Token.GetStatus().PinRetriesLeft);
    }

    [Fact]
    public async Task Unknown_key_is_key_not_found()
    {
        await Generate(0);
        Assert.Throws<KeyNotFoundOnTokenException>(() => Token.GetKey(KeyId(2)));
        var error = await Assert.ThrowsAsync<KeyNotFoundOnTokenException>(() => Token.SignAsync(KeyId(2), Message, Prompts.With(CorrectPin)));
        Assert.Contains(KeyId(2), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_names_the_device_and_says_it_is_hardware()
    {
        var status = Token.GetStatus();
        Assert.Equal(ExpectHardwareBacked, status.IsHardwareBacked);
        Assert.Equal(ExpectHardwareBacked, Token.IsHardwareBacked);
        Assert.False(string.IsNullOrWhiteSpace(status.Serial));
        Assert.Equal(InitialRetries, status.PinRetriesLeft);
    }

    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }
}
