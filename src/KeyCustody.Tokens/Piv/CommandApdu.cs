using System.Security.Cryptography;

namespace KeyCustody.Tokens.Piv;

/// <summary>
/// An ISO 7816-4 command with any amount of data; <see cref="ChainingChannel"/> splits data over 255 bytes into a
/// chain. <see cref="Sensitive"/> commands (VERIFY, management-key authentication) have their buffers zeroed
/// after sending.
/// </summary>
internal sealed class CommandApdu
{
    public CommandApdu(byte cla, byte ins, byte p1, byte p2, byte[]? data = null, bool sensitive = false)
    {
        Cla = cla;
        Ins = ins;
        P1 = p1;
        P2 = p2;
        Data = data ?? [];
        Sensitive = sensitive;
    }

    public byte Cla { get; }
    public byte Ins { get; }
    public byte P1 { get; }
    public byte P2 { get; }
    public byte[] Data { get; }
    public bool Sensitive { get; }

    /// <summary>Short APDU bytes for one chunk: CLA INS P1 P2 [Lc data]. No Le: the 4-byte form is what opensc and the SDK send.</summary>
    public static byte[] EncodeShort(byte cla, byte ins, byte p1, byte p2, ReadOnlySpan<byte> data)
    {
        if (data.Length > 255)
        {
            throw new ArgumentException("a short APDU carries at most 255 data bytes", nameof(data));
        }

        var bytes = new byte[data.IsEmpty ? 4 : 5 + data.Length];
        bytes[0] = cla;
        bytes[1] = ins;
        bytes[2] = p1;
        bytes[3] = p2;
        if (!data.IsEmpty)
        {
            bytes[4] = (byte)data.Length;
            data.CopyTo(bytes.AsSpan(5));
        }

        return bytes;
    }

    /// <summary>The single short APDU (data up to 255 bytes); for tests and logging of the first chunk.</summary>
    public byte[] Encode() => EncodeShort(Cla, Ins, P1, P2, Data);

    public void Clear()
    {
        if (Sensitive)
        {
            CryptographicOperations.ZeroMemory(Data);
        }
    }
}

/// <summary>A response: data (already reassembled from 61xx chains) and the final status word.</summary>
internal sealed class ResponseApdu
{
    public ResponseApdu(byte[] data, ushort statusWord)
    {
        Data = data;
        StatusWord = statusWord;
    }

    public byte[] Data { get; }
    public ushort StatusWord { get; }
    public byte Sw1 => (byte)(StatusWord >> 8);
    public byte Sw2 => (byte)StatusWord;
    public bool IsSuccess => StatusWord == StatusWords.Success;

    /// <summary>Splits raw response bytes (data || SW1 SW2).</summary>
    public static ResponseApdu Parse(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < 2)
        {
            throw new InvalidDataException($"a response APDU has at least 2 bytes (status word), got {raw.Length}");
        }

        return new ResponseApdu(raw[..^2].ToArray(), (ushort)((raw[^2] << 8) | raw[^1]));
    }
}
