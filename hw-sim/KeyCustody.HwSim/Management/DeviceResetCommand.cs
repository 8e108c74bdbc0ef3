using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Management;

/// <summary>
/// DEVICE RESET (<c>00 1F 00 00</c>), the global reset of firmware 5.6+: PIV back to the factory (keys and objects
/// gone except the F9 key and certificate; PIN, PUK and management key default), as Yubico.NET.SDK's DeviceResetCommand
/// describes it, and OpenPGP back to the factory (its attestation key and certificate kept, as by its own reset). Yubico
/// documents it for the YubiKey Bio Multi-protocol Edition; what a YubiKey 5 answers is unverified (hw-sim/README.md).
/// The device configuration (enabled applications, lock code) stays.
/// </summary>
internal static class DeviceResetCommand
{
    public static Response Handle(AppletContext context)
    {
        context.State.FactoryReset();
        context.State.OpenPgp.FactoryReset();
        context.Session.LeavePiv();
        context.Session.OpenPgp.Clear();
        return Response.Ok();
    }
}
