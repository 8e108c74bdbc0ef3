namespace KeyCustody.HwSim.Applet;

/// <summary>PIV key references and the data objects bound to them.</summary>
public static class PivSlots
{
    public const byte Pin = 0x80;
    public const byte Puk = 0x81;
    public const byte ManagementKey = 0x9B;
    public const byte Authentication = 0x9A;
    public const byte Signature = 0x9C;
    public const byte KeyManagement = 0x9D;
    public const byte CardAuthentication = 0x9E;
    public const byte Attestation = 0xF9;

    /// <summary>Slots that can hold an asymmetric key (F9 included: it holds the attestation key).</summary>
    public static bool IsKeySlot(byte slot) =>
        slot is Authentication or Signature or KeyManagement or CardAuthentication or Attestation
        || slot is >= 0x82 and <= 0x95;

    /// <summary>Slots a user may generate into, import into, move and delete (everything but F9).</summary>
    public static bool IsUserKeySlot(byte slot) => IsKeySlot(slot) && slot != Attestation;

    /// <summary>The YubiKey default PIN policy per slot (non-FIPS firmware 4+); F9's our choice, as the factory key's (never).</summary>
    public static PinPolicy DefaultPinPolicy(byte slot) => slot switch
    {
        Signature => PinPolicy.Always,
        CardAuthentication or Attestation => PinPolicy.Never,
        _ => PinPolicy.Once,
    };
}
