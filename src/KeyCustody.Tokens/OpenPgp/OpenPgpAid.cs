using System.Globalization;

namespace KeyCustody.Tokens.OpenPgp;

/// <summary>
/// The OpenPGP application identifier a card answers with (§4.2.1): RID D2 76 00 01 24, application 01, the
/// specification version, the manufacturer and a 4-byte serial unique per manufacturer.
/// </summary>
internal sealed record OpenPgpAid(byte[] Bytes, Version SpecVersion, ushort Manufacturer, uint SerialBytes)
{
    public const ushort Yubico = 0x0006;
    public const ushort Nitrokey = 0x000F;

    /// <summary>RID and application of every OpenPGP card: what SELECT names (the rest of the AID is the card's).</summary>
    public static ReadOnlySpan<byte> SelectName => [0xD2, 0x76, 0x00, 0x01, 0x24, 0x01];

    /// <summary>
    /// The serial as the vendor prints it: a YubiKey writes its decimal serial as BCD (ykman reads it so), so BCD digits
    /// are read as a decimal number; any other 4 bytes as an unsigned integer.
    /// </summary>
    public uint Serial => IsBcd(SerialBytes) ? uint.Parse(SerialBytes.ToString("X8", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : SerialBytes;

    /// <summary>As GnuPG shows it: the 16 bytes in hex.</summary>
    public string Hex => Convert.ToHexString(Bytes);

    public string ManufacturerName => Manufacturer switch
    {
        Yubico => "Yubico",
        Nitrokey => "Nitrokey",
        0x0005 => "ZeitControl",
        0xF517 => "FSIJ",
        >= 0xFF00 and <= 0xFFFE => "unmanaged serial range",
        _ => $"manufacturer {Manufacturer:X4}",
    };

    /// <summary>
    /// The device as its owner calls it, for prompts ("touch your Nitrokey"): from the manufacturer in the AID (Yubico
    /// 0006, Nitrokey 000F); any other card is "OpenPGP card".
    /// </summary>
    public string DeviceName => Manufacturer switch
    {
        Yubico => "YubiKey",
        Nitrokey => "Nitrokey",
        _ => "OpenPGP card",
    };

    /// <summary>Parses a 16-byte AID; throws <see cref="InvalidDataException"/> for anything else.</summary>
    public static OpenPgpAid Parse(ReadOnlySpan<byte> aid)
    {
        if (aid.Length != 16 || !aid[..6].SequenceEqual(SelectName))
        {
            throw new InvalidDataException($"not an OpenPGP application identifier ({aid.Length} bytes: {Convert.ToHexString(aid)})");
        }

        var version = new Version(Bcd(aid[6]), Bcd(aid[7]));
        var manufacturer = (ushort)((aid[8] << 8) | aid[9]);
        var serial = (uint)((aid[10] << 24) | (aid[11] << 16) | (aid[12] << 8) | aid[13]);
        return new OpenPgpAid(aid.ToArray(), version, manufacturer, serial);
    }

    private static bool IsBcd(uint value)
    {
        for (int shift = 0; shift < 32; shift += 4)
        {
            if (((value >> shift) & 0xF) > 9)
            {
                return false;
            }
        }

        return true;
    }

    private static int Bcd(byte value) => (10 * (value >> 4)) + (value & 0x0F);
}
