using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>GENERAL AUTHENTICATE (87): the 7C template goes to management-key auth (P2 9B) or a slot key.</summary>
internal static class GeneralAuthenticateCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        if (!Tlv.TryParseSingle(apdu.Data, 0x7C, out var template) || !Tlv.TryParseAll(template, out var inner))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        return apdu.P2 == PivSlots.ManagementKey
            ? ManagementKeyCommands.Authenticate(context, apdu, inner)
            : PrivateKeyOperation.Handle(context, apdu, inner);
    }
}
