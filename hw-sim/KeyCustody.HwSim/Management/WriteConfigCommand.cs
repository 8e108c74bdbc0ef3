using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Management;

/// <summary>
/// WRITE CONFIG (<c>00 1C 00 00 Lc len TLVs</c>): enabled applications (03 USB, 0E NFC), timeouts (06, 07), flags (08),
/// NFC restricted (17), a new lock code (0A, all zeros removes it), the current one (0B), reboot (0C). With a lock code
/// set, a missing or wrong 0B is <c>6F 00</c> (Yubico.NET.SDK "Set device info") and nothing changes.
/// </summary>
internal static class WriteConfigCommand
{
    public const ushort WrongLockCode = 0x6F00;

    public static Response Handle(AppletContext context, CommandApdu apdu)
    {
        var data = apdu.Data;
        if (data.Length == 0 || data[0] != data.Length - 1 || !Tlv.TryParseAll(data.AsMemory(1), out var fields))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        var device = context.State.Device;
        if (device.IsLocked && (Tlv.Find(fields, DeviceInfo.Unlock) is not { } unlock || !device.LockCodeMatches(unlock.Value.Span)))
        {
            return Response.Status(WrongLockCode);
        }

        if (!TryValidate(fields))
        {
            return Response.Status(StatusWord.IncorrectData);
        }

        foreach (var field in fields)
        {
            var value = field.Value.Span;
            switch (field.Tag)
            {
                case DeviceInfo.UsbEnabled:
                    device.UsbEnabled = (Capabilities)Word(value);
                    break;
                case DeviceInfo.NfcEnabled:
                    device.NfcEnabled = (Capabilities)Word(value);
                    break;
                case DeviceInfo.AutoEjectTimeout:
                    device.AutoEjectTimeout = Word(value);
                    break;
                case DeviceInfo.ChallengeResponseTimeout:
                    device.ChallengeResponseTimeout = value[0];
                    break;
                case DeviceInfo.DeviceFlags:
                    device.DeviceFlags = value[0];
                    break;
                case DeviceInfo.NfcRestricted:
                    device.NfcRestricted = value[0] != 0;
                    break;
                case DeviceInfo.ConfigLock:
                    device.SetLockCode(value);
                    break;
                case DeviceInfo.Reboot:
                    context.Session.RebootRequested = true;
                    break;
            }
        }

        context.State.Dirty = true;
        return Response.Ok();
    }

    /// <summary>Every field the right length and every enabled application one the key has; unknown tags are refused.</summary>
    private static bool TryValidate(List<Tlv> fields)
    {
        foreach (var field in fields)
        {
            int length = field.Value.Length;
            bool ok = field.Tag switch
            {
                DeviceInfo.UsbEnabled or DeviceInfo.NfcEnabled =>
                    length is 1 or 2 && (Word(field.Value.Span) & ~(int)Capabilities.YubiKey5Usb) == 0,
                DeviceInfo.AutoEjectTimeout => length is 1 or 2,
                DeviceInfo.ChallengeResponseTimeout or DeviceInfo.DeviceFlags or DeviceInfo.NfcRestricted => length == 1,
                DeviceInfo.ConfigLock or DeviceInfo.Unlock => length == State.DeviceConfig.LockCodeLength,
                DeviceInfo.Reboot => length == 0,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static ushort Word(ReadOnlySpan<byte> value) => value.Length == 1 ? value[0] : (ushort)((value[0] << 8) | value[1]);
}
