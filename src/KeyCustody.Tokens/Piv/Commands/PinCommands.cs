namespace KeyCustody.Tokens.Piv.Commands;

/// <summary>VERIFY (20) for the PIN, and its empty form that only reports the state.</summary>
internal static class PinCommands
{
    public const int MinLength = 6;
    public const int MaxLength = 8;

    /// <summary><c>00 20 00 80 08 PIN||FF..</c>. The caller checked the format; the buffer is zeroed after sending.</summary>
    public static CommandApdu Verify(ReadOnlySpan<byte> pin)
    {
        var data = GC.AllocateArray<byte>(MaxLength, pinned: true);
        data.AsSpan().Fill(0xFF);
        pin.CopyTo(data);
        return new CommandApdu(0x00, 0x20, 0x00, PivSlot.Pin, data, sensitive: true);
    }

    /// <summary>Null if the PIN can be a PIV PIN (6..8 bytes, 0x00..0x7F as ykman allows, never FF), else why not.</summary>
    public static string? FormatProblem(ReadOnlySpan<byte> pin)
    {
        if (pin.Length is < MinLength or > MaxLength)
        {
            return $"a PIV PIN is {MinLength} to {MaxLength} characters, this one has {pin.Length}";
        }

        foreach (var b in pin)
        {
            if (b > 0x7F)
            {
                return "a PIV PIN is ASCII";
            }
        }

        return null;
    }

    public static void ParseVerify(ResponseApdu response, PivErrorContext context)
    {
        if (response.IsSuccess)
        {
            return;
        }

        if (response.StatusWord == StatusWords.AuthenticationBlocked)
        {
            throw TokenErrors.PinBlocked(context.Token);
        }

        if (StatusWords.RetriesFrom(response.StatusWord) is { } retries)
        {
            // The try that uses up the last attempt answers 63C0: the PIN is blocked from now on.
            throw retries == 0 ? TokenErrors.PinBlocked(context.Token) : TokenErrors.PinIncorrect(context.Token, retries);
        }

        throw context.Unexpected(response.StatusWord, "VERIFY PIN");
    }

    /// <summary><c>00 20 00 80</c>: asks whether the PIN is verified in this session, without using an attempt.</summary>
    public static CommandApdu Status() => new(0x00, 0x20, 0x00, PivSlot.Pin);

    /// <summary>(true, null) when verified; (false, retries left) otherwise.</summary>
    public static (bool Verified, int? RetriesLeft) ParseStatus(ResponseApdu response, PivErrorContext context)
    {
        if (response.IsSuccess)
        {
            return (true, null);
        }

        return StatusWords.RetriesFrom(response.StatusWord) is { } retries
            ? (false, retries)
            : throw context.Unexpected(response.StatusWord, "VERIFY (status)");
    }
}
