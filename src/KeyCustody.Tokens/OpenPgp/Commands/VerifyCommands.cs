using KeyCustody.Tokens.OpenPgp.Apdu;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp.Commands;

/// <summary>The OpenPGP passwords: PW1 for a signature (81) or for other operations (82), PW3 the admin PIN (83).</summary>
internal enum Password : byte
{
    Pw1Sign = 0x81,
    Pw1Other = 0x82,
    Pw3 = 0x83,
}

/// <summary>What a VERIFY with a PIN came to.</summary>
/// <param name="RetriesLeft">After a wrong PIN, the attempts the card named (63Cx), or null when it did not (a YubiKey answers 6982: read C4).</param>
internal sealed record VerifyOutcome(bool Accepted, bool Blocked, int? RetriesLeft);

/// <summary>VERIFY (20) with a PIN, and its empty form that only asks whether the password is verified (§7.2.2).</summary>
internal static class VerifyCommands
{
    public const int Pw1MinLength = 6;
    public const int Pw3MinLength = 8;

    /// <summary><c>00 20 00 mode Lc PIN</c> (no padding); the buffer is zeroed after sending.</summary>
    public static PgpCommand Verify(Password password, ReadOnlySpan<byte> pin)
    {
        var data = GC.AllocateArray<byte>(pin.Length, pinned: true);
        pin.CopyTo(data);
        return new PgpCommand(0x00, 0x20, 0x00, (byte)password, data, sensitive: true);
    }

    /// <summary>Null if the PIN can be this password (its length within the card's limits, UTF-8 printable), else why not.</summary>
    public static string? FormatProblem(Password password, ReadOnlySpan<byte> pin, int maxLength)
    {
        int min = password == Password.Pw3 ? Pw3MinLength : Pw1MinLength;
        string what = password == Password.Pw3 ? "the OpenPGP admin PIN (PW3)" : "an OpenPGP PIN (PW1)";
        if (pin.Length < min || (maxLength > 0 && pin.Length > maxLength))
        {
            // Not the configured PIN's length: that would tell whoever reads the message something about a secret.
            return $"{what} is {min} to {(maxLength > 0 ? maxLength : 127)} characters on this card; the configured one is not";
        }

        foreach (var b in pin)
        {
            if (b < 0x20 || b == 0x7F)
            {
                return $"{what} has no control characters";
            }
        }

        return null;
    }

    public static VerifyOutcome ParseVerify(ResponseApdu response, OpenPgpErrorContext context)
    {
        if (response.IsSuccess)
        {
            return new(true, false, null);
        }

        if (response.StatusWord == StatusWords.AuthenticationBlocked)
        {
            return new(false, true, 0);
        }

        if (StatusWords.RetriesFrom(response.StatusWord) is { } retries)
        {
            // The try that uses up the last attempt answers 63C0: the password is blocked from now on.
            return new(false, retries == 0, retries);
        }

        // A YubiKey answers a wrong PIN with 6982 and says nothing of the attempts (ykman then reads C4).
        return response.StatusWord == StatusWords.SecurityStatusNotSatisfied
            ? new(false, false, null)
            : throw context.Unexpected(response.StatusWord, "VERIFY");
    }

    /// <summary><c>00 20 00 mode</c>: is the password verified? Costs no attempt.</summary>
    public static PgpCommand Status(Password password) => new(0x00, 0x20, 0x00, (byte)password);

    /// <summary><c>00 20 FF mode</c>: set the password back to "not verified" (3.4 §7.2.2; YubiKey 5.6+, opcard-rs).</summary>
    public static PgpCommand Reset(Password password) => new(0x00, 0x20, 0xFF, (byte)password);

    /// <summary>
    /// 9000: verified; 63Cx, 6983 or 6982: not verified; anything else (a YubiKey 5.4.3 answers 6A80, as OpenSC found):
    /// null, the card does not know the probe.
    /// </summary>
    public static bool? ParseStatus(ResponseApdu response) => response.StatusWord switch
    {
        StatusWords.Success => true,
        StatusWords.SecurityStatusNotSatisfied or StatusWords.AuthenticationBlocked => false,
        var sw when StatusWords.RetriesFrom(sw) is not null => false,
        _ => null,
    };
}
