using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>MOVE KEY (<c>00 F6 dest src</c>) and DELETE KEY (<c>00 F6 FF slot</c>); certificates are not touched.</summary>
internal static class MoveDeleteCommand
{
    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        if (!context.Session.ManagementAuthenticated)
        {
            return Response.Status(StatusWord.SecurityStatusNotSatisfied);
        }

        var state = context.State;
        byte source = apdu.P2;
        if (!PivSlots.IsUserKeySlot(source))
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (apdu.P1 == 0xFF)
        {
            if (state.KeyIn(source) is null)
            {
                return Response.Status(StatusWord.ReferenceNotFound);
            }

            state.DeleteKey(source);
            return Response.Ok();
        }

        byte destination = apdu.P1;
        if (!PivSlots.IsUserKeySlot(destination))
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (state.KeyIn(source) is null)
        {
            return Response.Status(StatusWord.ReferenceNotFound);
        }

        if (destination == source || state.KeyIn(destination) is not null)
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        state.SetKey(destination, state.TakeKey(source)!);
        return Response.Ok();
    }
}
