namespace KeyCustody.Tokens;

/// <summary>The errors of one credential (a user PIN, an admin PIN), worded for its token.</summary>
internal sealed record PinErrors(
    Func<TokenException> Blocked,
    Func<int, TokenException> AttemptRefused,
    Func<TokenException> Required,
    Func<string, TokenException> FormatInvalid,
    Func<Exception, TokenException> Cancelled);

/// <summary>
/// The rule every backend follows before a PIN may be sent (style.md: one guard, so it cannot drift): a blocked
/// credential is reported without asking; with one attempt or fewer left nobody is even asked unless the caller
/// allowed the last attempt; a missing answer is <see cref="PinRequiredException"/>; a PIN that cannot be right for
/// this token is refused before it is sent, so it costs no attempt. PIV, PKCS#11 and OpenPGP all come through here.
/// "One or fewer" and not "exactly one": a device that reports a count below zero is not sent a PIN either.
/// </summary>
internal static class PinGuard
{
    public static async Task<Secret> ObtainAsync(
        Func<PinPrompt, CancellationToken, ValueTask<Secret?>>? ask,
        PinPrompt prompt,
        bool allowLastRetry,
        Func<ReadOnlySpan<byte>, string?> formatProblem,
        PinErrors errors,
        CancellationToken cancellation)
    {
        if (prompt.RetriesLeft == 0)
        {
            throw errors.Blocked();
        }

        if (prompt.RetriesLeft <= 1 && !allowLastRetry)
        {
            throw errors.AttemptRefused(prompt.RetriesLeft.Value);
        }

        if (ask is null)
        {
            throw errors.Required();
        }

        Secret? pin;
        try
        {
            pin = await ask(prompt, cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw errors.Cancelled(e);
        }

        if (pin is null)
        {
            throw errors.Required();
        }

        if (formatProblem(pin.Span) is { } problem)
        {
            pin.Dispose();
            throw errors.FormatInvalid(problem);
        }

        return pin;
    }
}
