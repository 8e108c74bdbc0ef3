using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.OpenPgp.Commands;

namespace KeyCustody.HwSim.OpenPgp;

/// <summary>
/// The OpenPGP card 3.4 applet: one handler per instruction. While terminated only SELECT (which then answers 62 85),
/// ACTIVATE FILE and TERMINATE DF work; everything else answers 69 85. A command longer than the card's maximum (7F66)
/// answers 67 00. Yubico's extensions (F1, F2, FB) exist on the YubiKey profiles, MSE on the Nitrokey 3.
/// </summary>
internal static class OpenPgpApplet
{
    /// <summary>SELECT answers 90 00 with no data (the 5.4.3 trace), or 62 85 while terminated (opcard-rs; ykman then ACTIVATEs).</summary>
    public static Response Select(AppletContext context)
    {
        var session = context.Session.OpenPgp;
        session.CertificateOccurrence = 0;
        session.AuthenticateWith = PgpKey.Authentication;
        session.DecipherWith = PgpKey.Decryption;
        return context.State.OpenPgp.Terminated ? Response.Status(StatusWord.TerminationState) : Response.Ok();
    }

    public static Response Dispatch(AppletContext context, CommandApdu apdu)
    {
        var openPgp = context.State.OpenPgp;
        var profile = openPgp.Profile;
        if ((apdu.Cla & 0x80) != 0 && !(apdu.Ins == 0xFB && profile.YubicoExtensions))
        {
            return Response.Status(StatusWord.ClassNotSupported);
        }

        if (openPgp.Terminated && apdu.Ins is not (0x44 or 0xE6))
        {
            return Response.Status(StatusWord.ConditionsNotSatisfied);
        }

        if (apdu.Data.Length > profile.MaxCommandLength)
        {
            return Response.Status(StatusWord.WrongLength);
        }

        return apdu.Ins switch
        {
            0xCA => GetDataCommand.Handle(context, apdu),
            0xCC => GetDataCommand.Next(context, apdu),
            0xDA => PutDataCommand.Handle(context, apdu),
            0xDB => KeyImportCommand.Handle(context, apdu),
            0xA5 => SelectDataCommand.Handle(context, apdu),
            0x20 => PasswordCommands.Verify(context, apdu),
            0x24 => PasswordCommands.ChangeReference(context, apdu),
            0x2C => PasswordCommands.ResetRetryCounter(context, apdu),
            0x47 => KeyPairCommand.Handle(context, apdu),
            0x2A => PsoCommand.Handle(context, apdu),
            0x88 => InternalAuthenticateCommand.Handle(context, apdu),
            0x84 => SmallCommands.Challenge(context, apdu),
            0xE6 => LifecycleCommands.Terminate(context),
            0x44 => LifecycleCommands.Activate(context),
            0x22 when profile.ManageSecurityEnvironment => SmallCommands.ManageSecurityEnvironment(context, apdu),
            0xF1 when profile.YubicoExtensions => SmallCommands.Version(context),
            0xF2 when profile.YubicoExtensions => PasswordCommands.SetRetries(context, apdu),
            0xFB when profile.YubicoExtensions => AttestationCommand.Handle(context, apdu),
            _ => Response.Status(StatusWord.InstructionNotSupported),
        };
    }
}
