namespace KeyCustody.Tokens.Piv;

/// <summary>BER-TLV as PIV uses it: 1- or 2-byte tags, definite lengths of up to 3 bytes (82 xx xx).</summary>
internal static class Ber
{
    public static byte[] Length(int length) => length switch
    {
        < 0 => throw new ArgumentOutOfRangeException(nameof(length)),
        < 0x80 => [(byte)length],
        <= 0xFF => [0x81, (byte)length],
        <= 0xFFFF => [0x82, (byte)(length >> 8), (byte)length],
        _ => throw new ArgumentOutOfRangeException(nameof(length), "PIV objects are shorter than 64 KiB"),
    };

    public static byte[] Encode(int tag, ReadOnlySpan<byte> value)
    {
        var tagBytes = tag > 0xFF ? new[] { (byte)(tag >> 8), (byte)tag } : new[] { (byte)tag };
        var length = Length(value.Length);
        var result = new byte[tagBytes.Length + length.Length + value.Length];
        tagBytes.CopyTo(result, 0);
        length.CopyTo(result, tagBytes.Length);
        value.CopyTo(result.AsSpan(tagBytes.Length + length.Length));
        return result;
    }

    /// <summary>Reads consecutive TLVs; throws <see cref="InvalidDataException"/> on a truncated or malformed one.</summary>
    public static List<(int Tag, byte[] Value)> ReadAll(ReadOnlySpan<byte> data)
    {
        var items = new List<(int, byte[])>();
        int offset = 0;
        while (offset < data.Length)
        {
            items.Add(ReadOne(data, ref offset));
        }

        return items;
    }

    /// <summary>The value of the single TLV that must make up all of <paramref name="data"/>, with that tag.</summary>
    public static byte[] Unwrap(ReadOnlySpan<byte> data, int expectedTag)
    {
        int offset = 0;
        var (tag, value) = ReadOne(data, ref offset);
        if (tag != expectedTag || offset != data.Length)
        {
            throw new InvalidDataException($"expected one TLV with tag {expectedTag:X2}, got tag {tag:X2} and {data.Length - offset} trailing bytes");
        }

        return value;
    }

    public static byte[]? Find(List<(int Tag, byte[] Value)> items, int tag) =>
        items.FirstOrDefault(item => item.Tag == tag).Value;

    private static (int Tag, byte[] Value) ReadOne(ReadOnlySpan<byte> data, ref int offset)
    {
        int tag = Next(data, ref offset);
        if ((tag & 0x1F) == 0x1F)
        {
            tag = (tag << 8) | Next(data, ref offset);
        }

        int length = Next(data, ref offset);
        if (length == 0x81)
        {
            length = Next(data, ref offset);
        }
        else if (length == 0x82)
        {
            length = (Next(data, ref offset) << 8) | Next(data, ref offset);
        }
        else if (length > 0x80)
        {
            throw new InvalidDataException($"unsupported BER length byte {length:X2}");
        }

        if (offset + length > data.Length)
        {
            throw new InvalidDataException($"TLV {tag:X2} claims {length} bytes but only {data.Length - offset} remain");
        }

        var value = data.Slice(offset, length).ToArray();
        offset += length;
        return (tag, value);
    }

    private static int Next(ReadOnlySpan<byte> data, ref int offset) =>
        offset < data.Length ? data[offset++] : throw new InvalidDataException("truncated TLV");
}
