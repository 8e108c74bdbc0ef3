using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.OpenPgp.Commands;

/// <summary>
/// TERMINATE DF (E6) and ACTIVATE FILE (44), the factory reset of 3.4 §7.2.16-7.2.17 (ykman's `openpgp reset`, GnuPG's
/// factory-reset). TERMINATE needs VERIFY 83, or PW3 blocked (so a lost Admin PIN can still reset); otherwise 69 82 on
/// the YubiKey (5.4.3 trace), 69 85 in opcard-rs. ACTIVATE on a working applet changes nothing.
/// </summary>
internal static class LifecycleCommands
{
    public static Response Terminate(AppletContext context)
    {
        var openPgp = context.State.OpenPgp;
        if (!context.Session.OpenPgp.AdminPin && !openPgp.AdminPin.IsBlocked)
        {
            return Response.Status(openPgp.Profile.TerminateRefused);
        }

        openPgp.Terminated = true;
        context.Session.OpenPgp.Clear();
        context.State.Dirty = true;
        return Response.Ok();
    }

    public static Response Activate(AppletContext context)
    {
        var openPgp = context.State.OpenPgp;
        if (openPgp.Terminated)
        {
            openPgp.FactoryReset();
            context.Session.OpenPgp.Clear();
            context.State.Dirty = true;
        }

        return Response.Ok();
    }
}
