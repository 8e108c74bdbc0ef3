using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.OpenPgp.State;
using KeyCustody.HwSim.State;

namespace KeyCustody.HwSim.OpenPgp;

/// <summary>
/// Lengths and answers for the three passwords (3.4 §4.3): PW1 at least 6 bytes, PW3 and the resetting code at least 8,
/// none longer than 127. A value outside that is refused with 6A 80 and not counted (the YubiKey 5.4.3 answers a 5-byte
/// PIN so); a wrong value of a possible length costs a try.
/// </summary>
internal static class PasswordRules
{
    public const int UserPinMinimum = 6;
    public const int AdminPinMinimum = 8;
    public const int ResetCodeMinimum = 8;

    public static bool LengthFits(int length, int minimum) => length >= minimum && length <= PgpPassword.MaxLength;

    /// <summary>Checks a candidate; the state file is written only when a counter moved.</summary>
    public static bool Check(CardState state, PgpPassword password, ReadOnlySpan<byte> candidate)
    {
        int before = password.Remaining;
        bool ok = password.Check(candidate);
        if (password.Remaining != before)
        {
            state.Dirty = true;
        }

        return ok;
    }

    /// <summary>
    /// A wrong password (the try that blocks it included): 69 82 on the YubiKey, 63 Cx (tries left) in opcard-rs. A
    /// password already blocked is not tried: 69 83.
    /// </summary>
    public static ushort Wrong(OpenPgpProfile profile, PgpPassword password) =>
        profile.WrongPinAnswersRetries ? StatusWord.RetriesLeft(password.Remaining) : StatusWord.SecurityStatusNotSatisfied;
}
