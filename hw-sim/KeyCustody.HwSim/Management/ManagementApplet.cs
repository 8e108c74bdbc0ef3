using System.Text;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Management;

/// <summary>
/// Yubico's management applet (AID A0 00 00 05 27 47 11 17): READ CONFIG (1D, what `ykman info` reads), WRITE CONFIG
/// (1C, `ykman config usb/nfc/set-lock-code`) and DEVICE RESET (1F). Instruction codes and tags: yubikit management.py.
/// </summary>
internal static class ManagementApplet
{
    public static ReadOnlySpan<byte> Aid => [0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17];

    /// <summary>SELECT answers the firmware version as text ("5.7.1"); ykman parses it.</summary>
    public static byte[] SelectResponse(CardIdentity identity) =>
        Encoding.ASCII.GetBytes(string.Join('.', identity.Firmware.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    public static Response Dispatch(AppletContext context, CommandApdu apdu) => apdu.Ins switch
    {
        0x1D => DeviceInfo.Read(context, apdu),
        0x1C => WriteConfigCommand.Handle(context, apdu),
        0x1F => DeviceResetCommand.Handle(context),
        _ => Response.Status(StatusWord.InstructionNotSupported),
    };
}
