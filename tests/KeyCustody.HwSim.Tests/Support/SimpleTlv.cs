namespace KeyCustody.HwSim.Tests.Support;

/// <summary>Reads the first one-byte-tag TLV of a buffer (test-side, independent of the simulator's parser).</summary>
internal static class SimpleTlv
{
    public static (int Tag, byte[] Value) Read(byte[] data)
    {
        int length = data[1];
        int offset = 2;
        if (length == 0x81)
        {
            length = data[2];
            offset = 3;
        }
        else if (length == 0x82)
        {
            length = (data[2] << 8) | data[3];
            offset = 4;
        }

        return (data[0], data[offset..(offset + length)]);
    }
}
