namespace KeyCustody.HwSim.Tests.Support;

/// <summary>
/// The inner TLVs of a GENERATE answer (<c>7F 49 L { 81 n 82 e | 86 point }</c>) or of metadata tag 04, by tag
/// (test-side, independent of the simulator's parser).
/// </summary>
internal static class PublicKeyTemplate
{
    public static Dictionary<int, byte[]> Parse(byte[] response)
    {
        Assert.Equal(0x7F, response[0]);
        Assert.Equal(0x49, response[1]);
        var (length, offset) = Length(response, 2);
        return Inner(response[offset..(offset + length)]);
    }

    /// <summary>The EC point (86) or, for RSA, the modulus (81).</summary>
    public static byte[] Point(byte[] response)
    {
        var fields = Parse(response);
        return fields.TryGetValue(0x86, out var point) ? point : fields[0x81];
    }

    public static Dictionary<int, byte[]> Inner(byte[] content)
    {
        var fields = new Dictionary<int, byte[]>();
        int position = 0;
        while (position < content.Length)
        {
            int tag = content[position];
            var (length, offset) = Length(content, position + 1);
            fields[tag] = content[offset..(offset + length)];
            position = offset + length;
        }

        return fields;
    }

    private static (int Length, int Offset) Length(byte[] data, int at) => data[at] switch
    {
        0x81 => (data[at + 1], at + 2),
        0x82 => ((data[at + 1] << 8) | data[at + 2], at + 3),
        var single => (single, at + 1),
    };
}
