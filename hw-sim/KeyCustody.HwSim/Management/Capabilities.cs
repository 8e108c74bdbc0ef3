namespace KeyCustody.HwSim.Management;

/// <summary>YubiKey application bits of device info tags 01/03 (USB) and 0D/0E (NFC), as yubikit's CAPABILITY.</summary>
[Flags]
public enum Capabilities : ushort
{
    None = 0,
    Otp = 0x0001,
    U2f = 0x0002,

    /// <summary>The general CCID bit: the smart-card interface itself.</summary>
    Ccid = 0x0004,
    OpenPgp = 0x0008,
    Piv = 0x0010,
    Oath = 0x0020,
    HsmAuth = 0x0100,
    Fido2 = 0x0200,

    /// <summary>What a YubiKey 5 NFC with firmware 5.4.3 or later offers over USB (YubiHSM Auth came with 5.4.3).</summary>
    YubiKey5Usb = Otp | U2f | Ccid | OpenPgp | Piv | Oath | HsmAuth | Fido2,

    /// <summary>
    /// Over NFC. The YubiKey 5.2.3 in Yubico.NET.SDK's GET DEVICE INFO example reports 023F supported and 023B enabled:
    /// the general CCID bit is not set among the enabled NFC capabilities.
    /// </summary>
    YubiKey5NfcEnabled = Otp | U2f | OpenPgp | Piv | Oath | HsmAuth | Fido2,
}
