namespace KeyCustody.HwSim.Apdu;

/// <summary>An applet answer before response chaining: data plus status word.</summary>
internal sealed class Response
{
    private static readonly byte[] Empty = [];

    private Response(byte[] data, ushort sw)
    {
        Data = data;
        Sw = sw;
    }

    public byte[] Data { get; }
    public ushort Sw { get; }

    public static Response Ok() => new(Empty, StatusWord.Success);

    public static Response Ok(byte[] data) => new(data, StatusWord.Success);

    public static Response Status(ushort sw) => new(Empty, sw);

    public static byte[] Encode(ReadOnlySpan<byte> data, ushort sw)
    {
        var result = new byte[data.Length + 2];
        data.CopyTo(result);
        result[^2] = (byte)(sw >> 8);
        result[^1] = (byte)sw;
        return result;
    }
}
