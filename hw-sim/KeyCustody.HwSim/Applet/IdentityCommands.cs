using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>GET VERSION (FD) and GET SERIAL (F8).</summary>
internal static class IdentityCommands
{
    public static Response Version(AppletContext context) => Response.Ok(context.State.Identity.Firmware.ToArray());

    public static Response Serial(AppletContext context)
    {
        uint serial = context.State.Identity.Serial;
        return Response.Ok([(byte)(serial >> 24), (byte)(serial >> 16), (byte)(serial >> 8), (byte)serial]);
    }
}
