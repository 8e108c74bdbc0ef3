using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.State;

namespace KeyCustody.HwSim.Management;

/// <summary>
/// READ CONFIG (<c>00 1D page 00</c>): one length byte, then the device info TLVs (yubikit management.py tags). Page 0
/// holds everything; later pages are empty (no tag 10 "more data" is sent).
/// </summary>
internal static class DeviceInfo
{
    public const int UsbSupported = 0x01;
    public const int Serial = 0x02;
    public const int UsbEnabled = 0x03;
    public const int FormFactor = 0x04;
    public const int Version = 0x05;
    public const int AutoEjectTimeout = 0x06;
    public const int ChallengeResponseTimeout = 0x07;
    public const int DeviceFlags = 0x08;
    public const int ConfigLock = 0x0A;
    public const int Unlock = 0x0B;
    public const int Reboot = 0x0C;
    public const int NfcSupported = 0x0D;
    public const int NfcEnabled = 0x0E;
    public const int PinComplexity = 0x16;
    public const int NfcRestricted = 0x17;

    public static Response Read(AppletContext context, CommandApdu apdu)
    {
        if (apdu.P2 != 0x00)
        {
            return Response.Status(StatusWord.WrongParameters);
        }

        if (apdu.P1 != 0x00)
        {
            return Response.Ok([0x00]);
        }

        var body = Encode(context.State);
        return Response.Ok([(byte)body.Length, .. body]);
    }

    public static byte[] Encode(CardState state)
    {
        var device = state.Device;
        var identity = state.Identity;
        uint serial = identity.Serial;
        return Tlv.Concat(
            Tlv.Encode(UsbSupported, Word((ushort)Capabilities.YubiKey5Usb)),
            Tlv.Encode(Serial, [(byte)(serial >> 24), (byte)(serial >> 16), (byte)(serial >> 8), (byte)serial]),
            Tlv.Encode(UsbEnabled, Word((ushort)device.UsbEnabled)),
            Tlv.Encode(FormFactor, [identity.FormFactor]),
            Tlv.Encode(Version, identity.Firmware),
            Tlv.Encode(AutoEjectTimeout, Word(device.AutoEjectTimeout)),
            Tlv.Encode(ChallengeResponseTimeout, [device.ChallengeResponseTimeout]),
            Tlv.Encode(DeviceFlags, [device.DeviceFlags]),
            Tlv.Encode(NfcSupported, Word((ushort)Capabilities.YubiKey5Usb)),
            Tlv.Encode(NfcEnabled, Word((ushort)device.NfcEnabled)),
            Tlv.Encode(ConfigLock, [device.IsLocked ? (byte)1 : (byte)0]),
            Tlv.Encode(PinComplexity, [0x00]),
            Tlv.Encode(NfcRestricted, [device.NfcRestricted ? (byte)1 : (byte)0]));
    }

    private static byte[] Word(ushort value) => [(byte)(value >> 8), (byte)value];
}
