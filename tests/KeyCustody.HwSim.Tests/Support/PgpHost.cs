using System.Text;

namespace KeyCustody.HwSim.Tests.Support;

/// <summary>
/// A minimal OpenPGP card host written for the tests (not shared with the simulator): raw APDUs as hex, short APDUs with
/// command chaining in 255-byte chunks or one extended APDU, response chaining with GET RESPONSE.
/// </summary>
internal sealed class PgpHost
{
    public const string Aid = "D2 76 00 01 24 01";

    private readonly Func<byte[], byte[]> _transmit;

    public PgpHost(CardConnection connection)
    {
        _transmit = apdu => connection.Transmit(apdu);
    }

    public List<(string Command, string Response)> Log { get; } = [];

    public string Send(string apdu) => Hex.Format(SendRaw(Hex.Parse(apdu)));

    public byte[] SendRaw(byte[] apdu)
    {
        var response = _transmit(apdu);
        Log.Add((Hex.Format(apdu), Hex.Format(response)));
        return response;
    }

    public void Expect(string command, string response) => Assert.Equal(response, Send(command));

    public void Select() => Expect("00 A4 04 00 06 " + Aid, "90 00");

    /// <summary>Short APDUs (chained above 255 bytes), responses gathered through GET RESPONSE.</summary>
    public (byte[] Data, ushort Sw) Exchange(byte ins, byte p1, byte p2, byte[] data, byte cla = 0x00)
    {
        int offset = 0;
        byte[] response;
        do
        {
            int length = Math.Min(255, data.Length - offset);
            bool last = offset + length == data.Length;
            var apdu = new List<byte> { last ? cla : (byte)(cla | 0x10), ins, p1, p2 };
            if (length > 0)
            {
                apdu.Add((byte)length);
                apdu.AddRange(data.AsSpan(offset, length).ToArray());
            }

            if (last)
            {
                apdu.Add(0x00);
            }

            response = SendRaw([.. apdu]);
            offset += length;
            if (!last && Sw(response) != 0x9000)
            {
                return ([], Sw(response));
            }
        }
        while (offset < data.Length);

        return Collect(response);
    }

    /// <summary>One extended APDU: <c>CLA INS P1 P2 00 Lc(2) data Le(2)</c> (Le 0000: up to 65536).</summary>
    public (byte[] Data, ushort Sw) ExchangeExtended(byte ins, byte p1, byte p2, byte[] data, int le = 0)
    {
        var apdu = new List<byte> { 0x00, ins, p1, p2, 0x00 };
        if (data.Length > 0)
        {
            apdu.Add((byte)(data.Length >> 8));
            apdu.Add((byte)data.Length);
            apdu.AddRange(data);
        }

        apdu.Add((byte)(le >> 8));
        apdu.Add((byte)le);
        return Collect(SendRaw([.. apdu]));
    }

    public byte[] GetData(int tag)
    {
        var (data, sw) = Exchange(0xCA, (byte)(tag >> 8), (byte)tag, []);
        Assert.Equal(0x9000, sw);
        return data;
    }

    public ushort PutData(int tag, byte[] value) => Exchange(0xDA, (byte)(tag >> 8), (byte)tag, value).Sw;

    public ushort Verify(byte reference, string pin) => Exchange(0x20, 0x00, reference, Encoding.UTF8.GetBytes(pin)).Sw;

    public void VerifyAdmin(string pin = "12345678") => Assert.Equal(0x9000, Verify(0x83, pin));

    public void VerifyUser(byte reference = 0x81, string pin = "123456") => Assert.Equal(0x9000, Verify(reference, pin));

    /// <summary>C1/C2/C3 to an algorithm, after VERIFY 83.</summary>
    public void SetAttributes(int tag, string attributes) => Assert.Equal(0x9000, PutData(tag, Hex.Parse(attributes)));

    /// <summary>GENERATE with the CRT (B6, B8, A4): the public key's bytes from <c>7F49 {86 ...}</c> or the modulus.</summary>
    public byte[] Generate(byte crt)
    {
        var (data, sw) = Exchange(0x47, 0x80, 0x00, [crt, 0x00]);
        Assert.Equal(0x9000, sw);
        return PublicKeyTemplate.Point(data);
    }

    public (byte[] Data, ushort Sw) Sign(byte[] message) => Exchange(0x2A, 0x9E, 0x9A, message);

    public (byte[] Data, ushort Sw) Authenticate(byte[] data) => Exchange(0x88, 0x00, 0x00, data);

    public static ushort Sw(byte[] response) => (ushort)((response[^2] << 8) | response[^1]);

    private (byte[] Data, ushort Sw) Collect(byte[] response)
    {
        var collected = new List<byte>(response[..^2]);
        while (response[^2] == 0x61)
        {
            response = SendRaw([0x00, 0xC0, 0x00, 0x00, response[^1]]);
            collected.AddRange(response[..^2]);
        }

        return ([.. collected], Sw(response));
    }
}
