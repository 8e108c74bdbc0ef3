namespace KeyCustody.HwSim.Applet;

/// <summary>PIV and Yubico data object identifiers (GET DATA / PUT DATA tag 5C).</summary>
public static class DataObjectIds
{
    public const int Discovery = 0x7E;
    public const int Chuid = 0x5FC102;
    public const int Capability = 0x5FC107;
    public const int Printed = 0x5FC109;
    public const int AttestationCertificate = 0x5FFF01;

    /// <summary>The certificate object of a key slot, or 0 if the slot has none.</summary>
    public static int CertificateFor(byte slot) => slot switch
    {
        PivSlots.Authentication => 0x5FC105,
        PivSlots.Signature => 0x5FC10A,
        PivSlots.KeyManagement => 0x5FC10B,
        PivSlots.CardAuthentication => 0x5FC101,
        PivSlots.Attestation => AttestationCertificate,
        >= 0x82 and <= 0x95 => 0x5FC10D + (slot - 0x82),
        _ => 0,
    };

    /// <summary>Writable objects: the PIV range 5FC101..5FC123 and Yubico's 5FFF00..5FFF15.</summary>
    public static bool IsWritable(int id) => id is >= 0x5FC101 and <= 0x5FC123 or >= 0x5FFF00 and <= 0x5FFF15;

    /// <summary>Objects that need the PIN verified to read (the printed information object).</summary>
    public static bool NeedsPin(int id) => id == Printed;
}
