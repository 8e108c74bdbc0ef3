using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.State;

namespace KeyCustody.HwSim.Applet;

/// <summary>VERIFY (20), CHANGE REFERENCE DATA (24), RESET RETRY COUNTER (2C) and SET PIN RETRIES (FA).</summary>
internal static class PinCommands
{
    public static Response Verify(AppletContext context, CommandApdu apdu)
    {
        var session = context.Session;
        var pin = context.State.Pin;
        if (apdu.P1 == 0xFF && apdu.P2 == PivSlots.Pin && apdu.Data.Length == 0)
        {
            session.PinVerified = false;
            session.PinAlwaysArmed = false;
            return Response.Ok();
        }

        if (apdu.P1 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        if (apdu.P2 != PivSlots.Pin)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (apdu.Data.Length == 0)
        {
            return pin.IsBlocked ? Response.Status(StatusWord.AuthenticationBlocked)
                : session.PinVerified ? Response.Ok()
                : Response.Status(StatusWord.RetriesLeft(pin.Remaining));
        }

        if (apdu.Data.Length != 8)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        if (pin.IsBlocked)
        {
            return Response.Status(StatusWord.AuthenticationBlocked);
        }

        bool ok = Check(context, pin, apdu.Data);
        session.PinVerified = ok;
        session.PinAlwaysArmed = ok;
        return ok ? Response.Ok() : Response.Status(StatusWord.RetriesLeft(pin.Remaining));
    }

    public static Response ChangeReference(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P1 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        var credential = apdu.P2 switch
        {
            PivSlots.Pin => context.State.Pin,
            PivSlots.Puk => context.State.Puk,
            _ => null,
        };
        if (credential is null)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (apdu.Data.Length != 16)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        if (credential.IsBlocked)
        {
            return Response.Status(StatusWord.AuthenticationBlocked);
        }

        // The current value is counted before the new one is looked at: ykman's `piv reset` blocks the PIN and the
        // PUK by sending empty (all FF) values and expects 63 Cx every time.
        var current = apdu.Data.AsSpan(0, 8);
        var replacement = apdu.Data.AsSpan(8, 8);
        if (!Check(context, credential, current))
        {
            if (apdu.P2 == PivSlots.Pin)
            {
                context.Session.PinVerified = false;
                context.Session.PinAlwaysArmed = false;
            }

            return Response.Status(StatusWord.RetriesLeft(credential.Remaining));
        }

        if (!IsWellFormed(replacement, asciiOnly: apdu.P2 == PivSlots.Puk))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        credential.Change(replacement);
        context.State.Dirty = true;
        return Response.Ok();
    }

    public static Response ResetRetry(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P1 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        if (apdu.P2 != PivSlots.Pin)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (apdu.Data.Length != 16)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var puk = context.State.Puk;
        if (puk.IsBlocked)
        {
            return Response.Status(StatusWord.AuthenticationBlocked);
        }

        var newPin = apdu.Data.AsSpan(8, 8);
        if (!Check(context, puk, apdu.Data.AsSpan(0, 8)))
        {
            return Response.Status(StatusWord.RetriesLeft(puk.Remaining));
        }

        if (!IsWellFormed(newPin, asciiOnly: false))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        context.State.Pin.Change(newPin);
        context.State.Dirty = true;
        return Response.Ok();
    }

    /// <summary>SET PIN RETRIES: needs the management key and the PIN; PIN and PUK return to their defaults.</summary>
    public static Response SetRetries(AppletContext context, CommandApdu apdu)
    {
        var session = context.Session;
        if (!session.ManagementAuthenticated || !session.PinVerified)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        if (apdu.P1 == 0 || apdu.P2 == 0)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        context.State.Pin.ResetToFactory(apdu.P1);
        context.State.Puk.ResetToFactory(apdu.P2);
        session.PinVerified = false;
        session.PinAlwaysArmed = false;
        context.State.Dirty = true;
        return Response.Ok();
    }

    /// <summary>6 to 8 characters, right-padded with FF; a PUK must be 7-bit (firmware 5.7).</summary>
    internal static bool IsWellFormed(ReadOnlySpan<byte> value, bool asciiOnly)
    {
        int length = value.IndexOf((byte)0xFF);
        if (length < 0)
        {
            length = value.Length;
        }

        if (length < 6)
        {
            return false;
        }

        for (int i = 0; i < value.Length; i++)
        {
            if (i >= length && value[i] != 0xFF)
            {
                return false;
            }

            if (i < length && asciiOnly && value[i] > 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Check(AppletContext context, Credential credential, ReadOnlySpan<byte> candidate)
    {
        int before = credential.Remaining;
        bool ok = credential.Check(candidate);
        if (credential.Remaining != before)
        {
            context.State.Dirty = true;
        }

        return ok;
    }
}
