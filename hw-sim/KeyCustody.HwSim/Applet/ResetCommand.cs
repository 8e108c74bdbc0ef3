using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>RESET (FB): wipes the applet, allowed only when both PIN and PUK are blocked.</summary>
internal static class ResetCommand
{
    public static Response Handle(AppletContext context)
    {
        if (!context.State.Pin.IsBlocked || !context.State.Puk.IsBlocked)
        {
            return Response.Status(StatusWord.ConditionsNotSatisfied);
        }

        context.State.FactoryReset();
        var session = context.Session;
        session.PinVerified = false;
        session.PinAlwaysArmed = false;
        session.ManagementAuthenticated = false;
        session.ClearAuthenticationInProgress();
        return Response.Ok();
    }
}
