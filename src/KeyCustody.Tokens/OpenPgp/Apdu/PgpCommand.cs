using System.Security.Cryptography;

namespace KeyCustody.Tokens.OpenPgp.Apdu;

/// <summary>
/// An OpenPGP card command with any amount of data. <see cref="PgpChannel"/> sends it as one short APDU, one extended
/// APDU or a short chain, as the card allows. <see cref="ExpectsData"/> commands carry Le (00, or 00 00 when extended),
/// as GnuPG sends them; <see cref="Sensitive"/> ones (VERIFY, key import) have every buffer zeroed after sending.
/// </summary>
internal sealed class PgpCommand
{
    public PgpCommand(byte cla, byte ins, byte p1, byte p2, byte[]? data = null, bool expectsData = false, bool sensitive = false)
    {
        Cla = cla;
        Ins = ins;
        P1 = p1;
        P2 = p2;
        Data = data ?? [];
        ExpectsData = expectsData;
        Sensitive = sensitive;
    }

    public byte Cla { get; }
    public byte Ins { get; }
    public byte P1 { get; }
    public byte P2 { get; }
    public byte[] Data { get; }
    public bool ExpectsData { get; }
    public bool Sensitive { get; }

    /// <summary>Bytes of one short APDU: CLA INS P1 P2 [Lc data] [00].</summary>
    public static byte[] EncodeShort(byte cla, byte ins, byte p1, byte p2, ReadOnlySpan<byte> data, bool le)
    {
        if (data.Length > 255)
        {
            throw new ArgumentException("a short APDU carries at most 255 data bytes", nameof(data));
        }

        var bytes = new byte[4 + (data.IsEmpty ? 0 : 1 + data.Length) + (le ? 1 : 0)];
        bytes[0] = cla;
        bytes[1] = ins;
        bytes[2] = p1;
        bytes[3] = p2;
        if (!data.IsEmpty)
        {
            bytes[4] = (byte)data.Length;
            data.CopyTo(bytes.AsSpan(5));
        }

        // Le 00 = up to 256 bytes; a longer answer comes as 61xx and GET RESPONSE.
        return bytes;
    }

    /// <summary>Bytes of one extended APDU: CLA INS P1 P2 00 Lc1 Lc2 data [00 00] (ISO 7816-4 case 3E/4E).</summary>
    public static byte[] EncodeExtended(byte cla, byte ins, byte p1, byte p2, ReadOnlySpan<byte> data, bool le)
    {
        if (data.IsEmpty || data.Length > 0xFFFF)
        {
            throw new ArgumentException("an extended APDU here carries 1 to 65535 data bytes", nameof(data));
        }

        var bytes = new byte[7 + data.Length + (le ? 2 : 0)];
        bytes[0] = cla;
        bytes[1] = ins;
        bytes[2] = p1;
        bytes[3] = p2;
        bytes[4] = 0x00;
        bytes[5] = (byte)(data.Length >> 8);
        bytes[6] = (byte)data.Length;
        data.CopyTo(bytes.AsSpan(7));

        // Le 00 00 = up to 65536 bytes.
        return bytes;
    }

    /// <summary>The command as one short APDU (data up to 255 bytes).</summary>
    public byte[] EncodeShort() => EncodeShort(Cla, Ins, P1, P2, Data, ExpectsData);

    /// <summary>The command as one extended APDU.</summary>
    public byte[] EncodeExtended() => EncodeExtended(Cla, Ins, P1, P2, Data, ExpectsData);

    public void Clear()
    {
        if (Sensitive)
        {
            CryptographicOperations.ZeroMemory(Data);
        }
    }
}
