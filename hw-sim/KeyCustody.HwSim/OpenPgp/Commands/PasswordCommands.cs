using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// VERIFY (20), CHANGE REFERENCE DATA (24), RESET RETRY COUNTER (2C) and Yubico's SET PIN RETRIES (F2) (3.4 §7.2.2-7.2.4).
/// </summary>
internal static class PasswordCommands
{
    public static Response Verify(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        var session = context.Session.OpenPgp;
        if (apdu.P2 is not (0x81 or 0x82 or 0x83) || apdu.P1 is not (0x00 or 0xFF) || (apdu.P1 == 0xFF && !openPgp.Profile.VerifyResetKnown))
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        var password = apdu.P2 == 0x83 ? openPgp.AdminPin : openPgp.UserPin;
        if (apdu.P1 == 0xFF)
        {
            // 3.x: P1 FF with no data resets the verification of this reference.
            if (apdu.Data.Length != 0)
            {
                return Response.Status(StatusWord.WrongLength);
            }

            SetVerified(session, apdu.P2, false);
            return Response.Ok();
        }

        if (apdu.Data.Length == 0)
        {
            if (openPgp.Profile.EmptyVerifyRefused)
            {
                return Response.Status(StatusWord.IncorrectData);
            }

            return IsVerified(session, apdu.P2) ? Response.Ok()
                : password.IsBlocked ? Response.Status(StatusWord.AuthenticationBlocked)
                : Response.Status(StatusWord.RetriesLeft(password.Remaining));
        }

        if (password.IsBlocked)
        {
            return Response.Status(StatusWord.AuthenticationBlocked);
        }

        int minimum = apdu.P2 == 0x83 ? PasswordRules.AdminPinMinimum : PasswordRules.UserPinMinimum;
        if (!PasswordRules.LengthFits(apdu.Data.Length, minimum))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        bool ok = PasswordRules.Check(context.State, password, apdu.Data);
        SetVerified(session, apdu.P2, ok);
        return ok ? Response.Ok() : Response.Status(PasswordRules.Wrong(openPgp.Profile, password));
    }

    /// <summary>P2 81 (PW1) or 83 (PW3); the data is the current value followed by the new one, split at the current length.</summary>
    public static Response ChangeReference(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        if (apdu.P1 != 0x00 || apdu.P2 is not (0x81 or 0x83))
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        bool admin = apdu.P2 == 0x83;
        var password = admin ? openPgp.AdminPin : openPgp.UserPin;
        if (password.IsBlocked)
        {
            return Response.Status(StatusWord.AuthenticationBlocked);
        }

        var current = apdu.Data.AsSpan(0, Math.Min(password.Length, apdu.Data.Length));
        var replacement = apdu.Data.AsSpan(current.Length);

        // The current value is checked (and counted) before the new one is looked at, as for PIV and in opcard-rs.
        bool ok = PasswordRules.Check(context.State, password, current);
        if (!ok)
        {
            SetVerified(context.Session.OpenPgp, apdu.P2, false);
            return Response.Status(PasswordRules.Wrong(openPgp.Profile, password));
        }

        if (!PasswordRules.LengthFits(replacement.Length, admin ? PasswordRules.AdminPinMinimum : PasswordRules.UserPinMinimum))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        password.Set(replacement);
        context.State.Dirty = true;
        return Response.Ok();
    }

    /// <summary>P1 00: resetting code followed by the new PW1; P1 02: the new PW1 after VERIFY 83.</summary>
    public static Response ResetRetryCounter(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        if (apdu.P2 != 0x81 || apdu.P1 is not (0x00 or 0x02))
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        var newPin = apdu.Data.AsSpan();
        if (apdu.P1 == 0x02)
        {
            if (!context.Session.OpenPgp.AdminPin)
            {
                return Response.Status(StatusWord.SecurityStatusNotSatisfied);
            }
        }
        else
        {
            var code = openPgp.ResetCode;
            if (!code.IsSet || code.IsBlocked)
            {
                return Response.Status(StatusWord.AuthenticationBlocked);
            }

            var candidate = newPin[..Math.Min(code.Length, newPin.Length)];
            newPin = newPin[candidate.Length..];
            bool ok = PasswordRules.Check(context.State, code, candidate);
            if (!ok)
            {
                return Response.Status(PasswordRules.Wrong(openPgp.Profile, code));
            }
        }

        if (!PasswordRules.LengthFits(newPin.Length, PasswordRules.UserPinMinimum))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        openPgp.UserPin.Set(newPin);
        context.State.Dirty = true;
        return Response.Ok();
    }

    /// <summary>
    /// Yubico's SET PIN RETRIES (<c>00 F2 00 00 03 pw1 rc pw3</c>, after VERIFY 83): new maxima, counters full; the values
    /// stay (firmware 4 and later); an unset resetting code keeps 0 tries (the 5.4.3 trace: C4 then reads 0B 00 0D).
    /// </summary>
    public static Response SetRetries(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        if (!context.Session.OpenPgp.AdminPin)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        if (apdu.Data.Length != 3 || apdu.Data.Any(b => b is 0 or > 99))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        openPgp.UserPin.SetMaxRetries(apdu.Data[0]);
        openPgp.ResetCode.SetMaxRetries(apdu.Data[1]);
        openPgp.AdminPin.SetMaxRetries(apdu.Data[2]);
        context.State.Dirty = true;
        return Response.Ok();
    }

    private static bool IsVerified(OpenPgpSession session, byte reference) => reference switch
    {
        0x81 => session.UserPinForSigning,
        0x82 => session.UserPinForOther,
        _ => session.AdminPin,
    };

    private static void SetVerified(OpenPgpSession session, byte reference, bool verified)
    {
        switch (reference)
        {
            case 0x81:
                session.UserPinForSigning = verified;
                break;
            case 0x82:
                session.UserPinForOther = verified;
                break;
            default:
                session.AdminPin = verified;
                break;
        }
    }
}
