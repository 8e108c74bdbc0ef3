using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp.Keys;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// INTERNAL AUTHENTICATE (88 00 00, 3.4 §7.2.13) with the authentication key (or the decryption key after MSE), after
/// VERIFY 82: EdDSA over the data field as the message, ECDSA over a digest, RSA PKCS#1 v1.5 of a DigestInfo. Same order
/// as PSO: PIN, key, input, touch, operation. A Curve25519 key cannot sign: 69 85.
/// </summary>
internal static class InternalAuthenticateCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        var session = context.Session.OpenPgp;
        if (apdu.P1 != 0x00 || apdu.P2 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        if (!session.UserPinForOther)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        var slot = openPgp.Slot(session.AuthenticateWith);
        if (slot.Key is not { } key)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (slot.Algorithm.Id == PgpAlgorithm.Ecdh && slot.Algorithm.KeyType == KeyAlgorithm.X25519)
        {
            return Response.Status(StatusWord.ConditionsNotSatisfied);
        }

        if (!PgpPrivateOperations.CanSign(key, apdu.Data.Length))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        if (!UserInteraction.Confirm(context, slot))
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        if (PsoCommand.MessageTooLong(openPgp.Profile, key, apdu.Data.Length))
        {
            return Response.Status(StatusWord.NoSpace);
        }

        var signature = PgpPrivateOperations.Sign(key, apdu.Data);
        return signature is null ? Response.Status(StatusWord.IncorrectData) : Response.Ok(signature);
    }
}
