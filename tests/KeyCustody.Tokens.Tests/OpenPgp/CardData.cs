namespace KeyCustody.Tokens.Tests.OpenPgp;

/// <summary>Application related data (6E) for cards we have no trace of, built from what their firmware sources say.</summary>
internal static class CardData
{
    /// <summary>
    /// A Nitrokey 3 as opcard-rs (src/command/data.rs, src/card.rs) answers: OpenPGP 3.4, manufacturer 000F, historical
    /// bytes 00 31 F5 73 C0 01 60 00 90 00 (extended Lc/Le, no chaining), 7F66 02 02 1DB9 02 02 1DB9, C0 3F 00 ..., UIF.
    /// </summary>
    public static byte[] Nitrokey3(uint serial) => Build(
        aid: $"D276000124010304000F{serial:X8}0000",
        historical: "0031F573C00160009000",
        extendedLength: "02021DB902021DB9",
        capabilities: "3F001DB91DB91DB90001",
        pwStatus: "017F7F7F030003",
        uif: true);

    /// <summary>A Gnuk token (Nitrokey Start): OpenPGP 2.0, unmanaged serial range, chaining only, no 7F66, no UIF.</summary>
    public static byte[] Gnuk(uint serial) => Build(
        aid: $"D276000124010200FFFE{serial:X8}0000",
        historical: "00318473800180059000",
        extendedLength: null,
        capabilities: "74000080080000000000",
        pwStatus: "007F7F7F030003",
        uif: false);

    private static byte[] Build(string aid, string historical, string? extendedLength, string capabilities, string pwStatus, bool uif)
    {
        var discretionary = new List<byte>();
        discretionary.AddRange(Tlv("C0", capabilities));
        discretionary.AddRange(Tlv("C1", "162B06010401DA470F01"));
        discretionary.AddRange(Tlv("C2", "122B060104019755010501"));
        discretionary.AddRange(Tlv("C3", "162B06010401DA470F01"));
        discretionary.AddRange(Tlv("C4", pwStatus));
        discretionary.AddRange(Tlv("C5", new string('0', 120)));
        discretionary.AddRange(Tlv("C6", new string('0', 120)));
        discretionary.AddRange(Tlv("CD", new string('0', 24)));
        discretionary.AddRange(Tlv("DE", "010002000300"));
        if (uif)
        {
            discretionary.AddRange(Tlv("D6", "0020"));
            discretionary.AddRange(Tlv("D7", "0020"));
            discretionary.AddRange(Tlv("D8", "0020"));
        }

        var outer = new List<byte>();
        outer.AddRange(Tlv("4F", aid));
        outer.AddRange(Tlv("5F52", historical));
        if (extendedLength is not null)
        {
            outer.AddRange(Tlv("7F66", extendedLength));
        }

        outer.AddRange(Tlv("73", Convert.ToHexString(discretionary.ToArray())));
        return Tlv("6E", Convert.ToHexString(outer.ToArray()));
    }

    private static byte[] Tlv(string tag, string valueHex)
    {
        var value = Convert.FromHexString(valueHex);
        var length = value.Length switch
        {
            < 0x80 => new[] { (byte)value.Length },
            <= 0xFF => [0x81, (byte)value.Length],
            _ => [0x82, (byte)(value.Length >> 8), (byte)value.Length],
        };
        return [.. Convert.FromHexString(tag), .. length, .. value];
    }
}
