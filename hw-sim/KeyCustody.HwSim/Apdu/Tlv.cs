namespace KeyCustody.HwSim.Apdu;

/// <summary>One BER-TLV element; <see cref="Value"/> is a view into the parsed buffer (no copy of secrets).</summary>
internal readonly record struct Tlv(int Tag, ReadOnlyMemory<byte> Value)
{
    /// <summary>Parses a sequence of TLVs (1- or 2-byte tags; lengths 1 byte, 81 xx or 82 xx xx). False on any malformation.</summary>
    public static bool TryParseAll(ReadOnlyMemory<byte> buffer, out List<Tlv> elements)
    {
        elements = [];
        var span = buffer.Span;
        int pos = 0;
        while (pos < span.Length)
        {
            int tag = span[pos++];
            if ((tag & 0x1F) == 0x1F)
            {
                if (pos >= span.Length)
                {
                    return false;
                }

                tag = (tag << 8) | span[pos++];
            }

            if (!TryReadLength(span, ref pos, out int length) || length > span.Length - pos)
            {
                return false;
            }

            elements.Add(new Tlv(tag, buffer.Slice(pos, length)));
            pos += length;
        }

        return true;
    }

    /// <summary>Parses exactly one TLV spanning the whole buffer with the expected tag.</summary>
    public static bool TryParseSingle(ReadOnlyMemory<byte> buffer, int expectedTag, out ReadOnlyMemory<byte> value)
    {
        value = default;
        if (!TryParseAll(buffer, out var elements) || elements.Count != 1 || elements[0].Tag != expectedTag)
        {
            return false;
        }

        value = elements[0].Value;
        return true;
    }

    public static Tlv? Find(List<Tlv> elements, int tag)
    {
        foreach (var element in elements)
        {
            if (element.Tag == tag)
            {
                return element;
            }
        }

        return null;
    }

    /// <summary>Encodes tag, DER length and value.</summary>
    public static byte[] Encode(int tag, ReadOnlySpan<byte> value)
    {
        int tagLength = tag > 0xFF ? 2 : 1;
        int lengthLength = value.Length < 0x80 ? 1 : value.Length <= 0xFF ? 2 : 3;
        var result = new byte[tagLength + lengthLength + value.Length];
        int pos = 0;
        if (tagLength == 2)
        {
            result[pos++] = (byte)(tag >> 8);
        }

        result[pos++] = (byte)tag;
        switch (lengthLength)
        {
            case 1:
                result[pos++] = (byte)value.Length;
                break;
            case 2:
                result[pos++] = 0x81;
                result[pos++] = (byte)value.Length;
                break;
            default:
                result[pos++] = 0x82;
                result[pos++] = (byte)(value.Length >> 8);
                result[pos++] = (byte)value.Length;
                break;
        }

        value.CopyTo(result.AsSpan(pos));
        return result;
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        int pos = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result, pos);
            pos += part.Length;
        }

        return result;
    }

    private static bool TryReadLength(ReadOnlySpan<byte> span, ref int pos, out int length)
    {
        length = 0;
        if (pos >= span.Length)
        {
            return false;
        }

        byte first = span[pos++];
        if (first < 0x80)
        {
            length = first;
            return true;
        }

        int count = first & 0x7F;
        if (count is < 1 or > 2 || pos + count > span.Length)
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            length = (length << 8) | span[pos++];
        }

        return true;
    }
}
