namespace KeyCustody.HwSim.Apdu;

/// <summary>A parsed command APDU (short or extended length). The data buffer is owned and zeroed by the caller.</summary>
internal sealed class CommandApdu
{
    public CommandApdu(byte cla, byte ins, byte p1, byte p2, byte[] data, int? expectedLength = null, bool isExtended = false)
    {
        Cla = cla;
        Ins = ins;
        P1 = p1;
        P2 = p2;
        Data = data;
        ExpectedLength = expectedLength;
        IsExtended = isExtended;
    }

    public byte Cla { get; }
    public byte Ins { get; }
    public byte P1 { get; }
    public byte P2 { get; }
    public byte[] Data { get; }

    /// <summary>Ne: the Le field as a length (short 00 is 256, extended 0000 is 65536); null when there is no Le.</summary>
    public int? ExpectedLength { get; }

    /// <summary>Sent with extended length fields (Lc and/or Le in two bytes after a 00).</summary>
    public bool IsExtended { get; }

    public bool IsChained => (Cla & 0x10) != 0;

    /// <summary>Parses ISO 7816-4 cases 1-4, short and extended; a 5-byte APDU is "no data, Le" (ykpiv appends 00).</summary>
    public static bool TryParse(ReadOnlySpan<byte> raw, out CommandApdu? apdu)
    {
        apdu = null;
        if (raw.Length < 4)
        {
            return false;
        }

        int dataStart;
        int dataLength;
        int? expected = null;
        bool extended = false;
        if (raw.Length <= 5)
        {
            dataStart = 0;
            dataLength = 0;
            if (raw.Length == 5)
            {
                expected = raw[4] == 0 ? 256 : raw[4];
            }
        }
        else if (raw[4] != 0)
        {
            dataStart = 5;
            dataLength = raw[4];
            int rest = raw.Length - 5 - dataLength;
            if (rest is not 0 and not 1)
            {
                return false;
            }

            if (rest == 1)
            {
                expected = raw[^1] == 0 ? 256 : raw[^1];
            }
        }
        else
        {
            if (raw.Length < 7)
            {
                return false;
            }

            extended = true;
            dataLength = (raw[5] << 8) | raw[6];
            dataStart = 7;
            int rest = raw.Length - 7 - dataLength;
            bool caseTwoExtended = dataLength != 0 && raw.Length == 7;
            if (!caseTwoExtended && rest is not 0 and not 2)
            {
                return false;
            }

            if (caseTwoExtended)
            {
                expected = dataLength;
                dataLength = 0;
            }
            else if (raw.Length == 7)
            {
                // 00 00 00: extended Le 0000, i.e. 65536.
                expected = 65536;
            }
            else if (rest == 2)
            {
                int le = (raw[^2] << 8) | raw[^1];
                expected = le == 0 ? 65536 : le;
            }
        }

        apdu = new CommandApdu(raw[0], raw[1], raw[2], raw[3], raw.Slice(dataStart, dataLength).ToArray(), expected, extended);
        return true;
    }
}
