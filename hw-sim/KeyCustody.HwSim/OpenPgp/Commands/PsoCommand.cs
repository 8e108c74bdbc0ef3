using System.Security.Cryptography;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp.Keys;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// PERFORM SECURITY OPERATION (2A): COMPUTE DIGITAL SIGNATURE (P1P2 9E 9A, the signature key, after VERIFY 81) and
/// DECIPHER (80 86, the decryption key or the one MSE named, after VERIFY 82) (3.4 §7.2.10-7.2.11). The order is: PIN,
/// key, input, touch (UIF), operation; a malformed request spends no touch. When C4's first byte is 00 each signature
/// attempt past the PIN check ends the VERIFY 81.
/// </summary>
internal static class PsoCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu) => (apdu.P1, apdu.P2) switch
    {
        (0x9E, 0x9A) => ComputeDigitalSignature(context, apdu),
        (0x80, 0x86) => Decipher(context, apdu),
        _ => Response.Status(StatusWord.WrongParameters),
    };

    private static Response ComputeDigitalSignature(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        var session = context.Session.OpenPgp;
        if (!session.UserPinForSigning)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        if (!openPgp.UserPinValidForSeveral)
        {
            session.UserPinForSigning = false;
        }

        var slot = openPgp.Slot(PgpKey.Signature);
        if (slot.Key is not { } key)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (!PgpPrivateOperations.CanSign(key, apdu.Data.Length))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        if (!UserInteraction.Confirm(context, slot))
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        // Counted before the length check, as opcard-rs does: a refused over-long message still counts on a Nitrokey 3.
        openPgp.SignatureCounter = Math.Min(openPgp.SignatureCounter + 1, 0xFFFFFF);
        context.State.Dirty = true;
        if (MessageTooLong(openPgp.Profile, key, apdu.Data.Length))
        {
            return Response.Status(StatusWord.NoSpace);
        }

        var signature = PgpPrivateOperations.Sign(key, apdu.Data);
        return signature is null ? Response.Status(StatusWord.IncorrectData) : Response.Ok(signature);
    }

    private static Response Decipher(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        var session = context.Session.OpenPgp;
        if (!session.UserPinForOther)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        var slot = openPgp.Slot(session.DecipherWith);
        if (slot.Key is not { } key)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        // 02: the symmetric (AES) variant, which this card does not implement; an ECDH or RSA key only deciphers for those.
        if (apdu.Data.Length > 0 && apdu.Data[0] == 0x02)
        {
            return Response.Status(StatusWord.FunctionNotSupported);
        }

        if (!slot.Algorithm.IsRsa && slot.Algorithm.Id != PgpAlgorithm.Ecdh)
        {
            return Response.Status(StatusWord.ConditionsNotSatisfied);
        }

        var input = PgpPrivateOperations.DecipherInput(key, apdu.Data);
        if (input is null)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        try
        {
            if (!UserInteraction.Confirm(context, slot))
            {
                return Response.Status(StatusWord.SecurityStatusNotSatisfied);
            }

            var result = PgpPrivateOperations.Decipher(key, input);
            return result is null ? Response.Status(StatusWord.IncorrectData) : Response.Ok(result);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }

    /// <summary>The Nitrokey 3's EdDSA/ECDSA message limit (trussed MAX_MESSAGE_LENGTH, 1024): 6A 84 above it.</summary>
    internal static bool MessageTooLong(OpenPgpProfile profile, Crypto.SlotKey key, int length) =>
        profile.MaxSignedMessage is { } limit && key is not Crypto.RsaSlotKey && length > limit;
}
