using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>The PIV applet: one handler per instruction.</summary>
internal static class PivApplet
{
    public static Response Dispatch(AppletContext context, CommandApdu apdu) => apdu.Ins switch
    {
        0xFD => IdentityCommands.Version(context),
        0xF8 => IdentityCommands.Serial(context),
        0x20 => PinCommands.Verify(context, apdu),
        0x24 => PinCommands.ChangeReference(context, apdu),
        0x2C => PinCommands.ResetRetry(context, apdu),
        0xFA => PinCommands.SetRetries(context, apdu),
        0xFB => ResetCommand.Handle(context),
        0xFF => ManagementKeyCommands.Set(context, apdu),
        0x87 => GeneralAuthenticateCommand.Handle(context, apdu),
        0x47 => GenerateCommand.Handle(context, apdu),
        0xF7 => MetadataCommand.Handle(context, apdu),
        0xF9 => AttestCommand.Handle(context, apdu),
        0xCB => DataObjectCommands.Get(context, apdu),
        0xDB => DataObjectCommands.Put(context, apdu),
        0xFE => ImportCommand.Handle(context, apdu),
        0xF6 when context.State.Profile.PivHas57Algorithms => MoveDeleteCommand.Handle(context, apdu),
        _ => Response.Status(StatusWord.InstructionNotSupported),
    };
}
