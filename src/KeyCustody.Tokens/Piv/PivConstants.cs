namespace KeyCustody.Tokens.Piv;

/// <summary>PIV algorithm identifiers (P1 of GENERATE/GENERAL AUTHENTICATE; tag 01 of metadata).</summary>
internal static class PivAlgorithm
{
    public const byte TripleDes = 0x03;
    public const byte Aes128 = 0x08;
    public const byte Aes192 = 0x0A;
    public const byte Aes256 = 0x0C;
    public const byte EccP256 = 0x11;
    /// <summary>YubiKey's Ed25519 (firmware 5.7+). Not piv-go's 0x22.</summary>
    public const byte Ed25519 = 0xE0;
    public const byte X25519 = 0xE1;
    public const byte PinOrPuk = 0xFF;
}

/// <summary>PIV key references and slots.</summary>
internal static class PivSlot
{
    public const byte Pin = 0x80;
    public const byte Puk = 0x81;
    public const byte ManagementKey = 0x9B;
    public const byte Attestation = 0xF9;

    /// <summary>Slots that can hold a key we may use: 9A, 9C, 9D, 9E and the 20 retired slots 82..95.</summary>
    public static IReadOnlyList<byte> KeySlots { get; } =
        [0x9A, 0x9C, 0x9D, 0x9E, .. Enumerable.Range(0x82, 20).Select(slot => (byte)slot)];

    /// <summary>"9c" (any case, optional "0x") to the slot byte; null if it is not a key slot.</summary>
    public static byte? Parse(string keyId)
    {
        var text = keyId.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? keyId[2..] : keyId;
        if (text.Length != 2 || !byte.TryParse(text, System.Globalization.NumberStyles.HexNumber, null, out var slot))
        {
            return null;
        }

        return KeySlots.Contains(slot) ? slot : null;
    }

    public static string Name(byte slot) => slot.ToString("x2");

    /// <summary>The certificate data object of a key slot (5F C1 xx), or of the attestation slot (5F FF 01).</summary>
    public static int CertificateObject(byte slot) => slot switch
    {
        0x9A => 0x5FC105,
        0x9C => 0x5FC10A,
        0x9D => 0x5FC10B,
        0x9E => 0x5FC101,
        Attestation => 0x5FFF01,
        >= 0x82 and <= 0x95 => 0x5FC10D + (slot - 0x82),
        _ => throw new ArgumentOutOfRangeException(nameof(slot)),
    };
}

/// <summary>Byte values of the PIN policy (tag AA) and touch policy (tag AB).</summary>
internal static class PivPolicy
{
    public static byte Encode(PinPolicy policy) => policy switch
    {
        PinPolicy.Default => 0x00,
        PinPolicy.Never => 0x01,
        PinPolicy.Once => 0x02,
        PinPolicy.Always => 0x03,
        _ => throw new ArgumentOutOfRangeException(nameof(policy)),
    };

    public static byte Encode(TouchPolicy policy) => policy switch
    {
        TouchPolicy.Default => 0x00,
        TouchPolicy.Never => 0x01,
        TouchPolicy.Always => 0x02,
        TouchPolicy.Cached => 0x03,
        _ => throw new ArgumentOutOfRangeException(nameof(policy)),
    };

    /// <summary>Match-once/match-always (Bio) are reported as once/always: they still need a verification.</summary>
    public static PinPolicy DecodePin(byte value) => value switch
    {
        0x01 => PinPolicy.Never,
        0x02 or 0x04 => PinPolicy.Once,
        0x03 or 0x05 => PinPolicy.Always,
        _ => PinPolicy.Default,
    };

    public static TouchPolicy DecodeTouch(byte value) => value switch
    {
        0x01 => TouchPolicy.Never,
        0x02 => TouchPolicy.Always,
        0x03 => TouchPolicy.Cached,
        _ => TouchPolicy.Default,
    };
}
