namespace KeyCustody.HwSim.Applet;

/// <summary>What the card says about itself: serial, firmware version and form factor (attestation extension .3.9).</summary>
public sealed record CardIdentity(uint Serial, byte[] Firmware, byte FormFactor)
{
    /// <summary>Firmware 5.7.1, the first line with PIV Ed25519/X25519.</summary>
    public static byte[] DefaultFirmware => [5, 7, 1];

    /// <summary>USB-A keychain.</summary>
    public const byte DefaultFormFactor = 0x01;
}
