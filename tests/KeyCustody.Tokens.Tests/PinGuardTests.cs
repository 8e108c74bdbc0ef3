namespace KeyCustody.Tokens.Tests;

/// <summary>
/// The one PIN guard every backend (PIV, PKCS#11, OpenPGP) asks before a PIN is sent, tested once here; each backend's
/// conformance suite shows its errors come through it (Blocked_pin_is_never_tried_without_the_override_and_is_reported).
/// </summary>
public sealed class PinGuardTests
{
    private int _asked;

    private static readonly PinErrors Errors = new(
        () => TokenErrors.PinBlocked("t"),
        left => TokenErrors.PinAttemptRefused("t", left),
        () => TokenErrors.PinRequired("t", "k"),
        problem => TokenErrors.PinFormatInvalid("t", problem),
        e => TokenErrors.Cancelled("t", "signature", e));

    private Task<Secret> Obtain(int? retriesLeft, bool allowLastRetry = false, string? answer = "123456") =>
        PinGuard.ObtainAsync(
            (_, _) =>
            {
                _asked++;
                return ValueTask.FromResult(answer is null ? null : Secret.FromAscii(answer));
            },
            new PinPrompt("1", "k", retriesLeft),
            allowLastRetry,
            pin => pin.Length < 6 ? "too short" : null,
            Errors,
            CancellationToken.None);

    [Theory]
    [InlineData(null)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task With_attempts_to_spare_or_an_unknown_count_the_person_is_asked(int? retriesLeft)
    {
        using var pin = await Obtain(retriesLeft);
        Assert.Equal(1, _asked);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task One_attempt_or_fewer_left_is_refused_before_anyone_is_asked(int retriesLeft)
    {
        var refused = await Assert.ThrowsAsync<PinAttemptRefusedException>(() => Obtain(retriesLeft));
        Assert.Equal(TokenErrorKind.PinAttemptRefused, refused.Kind);
        Assert.Equal(retriesLeft, refused.RetriesLeft);
        Assert.Equal(0, _asked);
    }

    [Fact]
    public async Task The_last_attempt_is_used_only_when_the_caller_allowed_it()
    {
        using var pin = await Obtain(1, allowLastRetry: true);
        Assert.Equal(1, _asked);
    }

    [Fact]
    public async Task A_blocked_pin_is_reported_without_asking_even_with_the_override()
    {
        var blocked = await Assert.ThrowsAsync<PinBlockedException>(() => Obtain(0, allowLastRetry: true));
        Assert.Equal(TokenErrorKind.PinBlocked, blocked.Kind);
        Assert.Equal(0, _asked);
    }

    [Fact]
    public async Task No_answer_is_pin_required_and_a_pin_that_cannot_be_right_is_not_sent()
    {
        Assert.Equal(TokenErrorKind.PinRequired, (await Assert.ThrowsAsync<PinRequiredException>(() => Obtain(3, answer: null))).Kind);
        Assert.Equal(TokenErrorKind.PinFormatInvalid, (await Assert.ThrowsAsync<PinFormatInvalidException>(() => Obtain(3, answer: "12"))).Kind);
    }
}
