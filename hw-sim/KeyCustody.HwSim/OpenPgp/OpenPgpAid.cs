namespace KeyCustody.HwSim.OpenPgp;

/// <summary>
/// The application identifier (3.4 §4.2.1): RID D2 76 00 01 24, application 01, version 03 04, manufacturer (2 bytes),
/// serial (4 bytes), RFU 00 00. SELECT takes any prefix of it from the six bytes D2 76 00 01 24 01 on, as clients send them.
/// </summary>
internal static class OpenPgpAid
{
    public static ReadOnlySpan<byte> Application => [0xD2, 0x76, 0x00, 0x01, 0x24, 0x01];

    /// <summary>The full AID of this card.</summary>
    public static byte[] For(OpenPgpProfile profile, uint serial)
    {
        var aid = new byte[16];
        Application.CopyTo(aid);
        aid[6] = 0x03;
        aid[7] = 0x04;
        aid[8] = (byte)(profile.Manufacturer >> 8);
        aid[9] = (byte)profile.Manufacturer;
        uint encoded = profile.SerialAsBcd ? Bcd(serial) : serial;
        aid[10] = (byte)(encoded >> 24);
        aid[11] = (byte)(encoded >> 16);
        aid[12] = (byte)(encoded >> 8);
        aid[13] = (byte)encoded;
        return aid;
    }

    /// <summary>Whether a SELECT names this applet: at least the six bytes up to the application, and a prefix of the full AID.</summary>
    public static bool Selects(ReadOnlySpan<byte> name, ReadOnlySpan<byte> fullAid) =>
        name.Length >= Application.Length && name.Length <= fullAid.Length && fullAid[..name.Length].SequenceEqual(name);

    /// <summary>The low eight decimal digits as BCD (Yubico serials have at most eight).</summary>
    private static uint Bcd(uint value)
    {
        uint result = 0;
        for (int shift = 0; shift < 32; shift += 4)
        {
            result |= (value % 10) << shift;
            value /= 10;
        }

        return result;
    }
}
