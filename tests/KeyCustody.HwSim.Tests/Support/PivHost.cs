namespace KeyCustody.HwSim.Tests.Support;

/// <summary>
/// A minimal host written for the tests (not shared with the simulator): raw APDUs as hex, command chaining
/// in 255-byte chunks, response chaining with GET RESPONSE, and management-key mutual authentication.
/// </summary>
internal sealed class PivHost
{
    public static readonly byte[] DefaultManagementKey = Hex.Parse("010203040506070801020304050607080102030405060708");

    private readonly Func<byte[], byte[]> _transmit;

    public PivHost(Func<byte[], byte[]> transmit)
    {
        _transmit = transmit;
    }

    public PivHost(CardConnection connection)
        : this(apdu => connection.Transmit(apdu))
    {
    }

    /// <summary>Every raw exchange, for asserting exact chunking.</summary>
    public List<(string Command, string Response)> Log { get; } = [];

    public string Send(string apdu) => Hex.Format(SendRaw(Hex.Parse(apdu)));

    public byte[] SendRaw(byte[] apdu)
    {
        var response = _transmit(apdu);
        Log.Add((Hex.Format(apdu), Hex.Format(response)));
        return response;
    }

    /// <summary>Sends a command with chaining as ykman does and collects a chained response; returns data and SW.</summary>
    public (byte[] Data, ushort Sw) Exchange(byte ins, byte p1, byte p2, byte[] data)
    {
        int offset = 0;
        byte[] response;
        do
        {
            int length = Math.Min(255, data.Length - offset);
            bool last = offset + length == data.Length;
            var apdu = new List<byte> { last ? (byte)0x00 : (byte)0x10, ins, p1, p2 };
            if (length > 0)
            {
                apdu.Add((byte)length);
                apdu.AddRange(data.AsSpan(offset, length).ToArray());
            }

            response = SendRaw([.. apdu]);
            offset += length;
            if (!last && Sw(response) != 0x9000)
            {
                return ([], Sw(response));
            }
        }
        while (offset < data.Length);

        var collected = new List<byte>(response[..^2]);
        while (response[^2] == 0x61)
        {
            response = SendRaw([0x00, 0xC0, 0x00, 0x00, response[^1]]);
            collected.AddRange(response[..^2]);
        }

        return ([.. collected], Sw(response));
    }

    public void Select() => Expect("00 A4 04 00 05 A0 00 00 03 08", "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00");

    public void VerifyPin(string pin = "123456") => Expect("00 20 00 80 08 " + Hex.Format(PadPin(pin)), "90 00");

    /// <summary>Mutual authentication as ykman/ykpiv perform it; returns the final status word.</summary>
    public ushort Authenticate(byte algorithm = 0x0A, byte[]? key = null)
    {
        key ??= DefaultManagementKey;
        int block = algorithm == 0x03 ? 8 : 16;
        var step1 = SendRaw([0x00, 0x87, algorithm, 0x9B, 0x04, 0x7C, 0x02, 0x80, 0x00]);
        if (Sw(step1) != 0x9000)
        {
            return Sw(step1);
        }

        var witness = TestCipher.Decrypt(algorithm, key, step1[4..(4 + block)]);
        var challenge = System.Security.Cryptography.RandomNumberGenerator.GetBytes(block);
        var body = new List<byte> { 0x7C, (byte)(4 + 2 * block), 0x80, (byte)block };
        body.AddRange(witness);
        body.Add(0x81);
        body.Add((byte)block);
        body.AddRange(challenge);
        var apdu = new List<byte> { 0x00, 0x87, algorithm, 0x9B, (byte)body.Count };
        apdu.AddRange(body);
        var step2 = SendRaw([.. apdu]);
        if (Sw(step2) != 0x9000)
        {
            return Sw(step2);
        }

        Assert.Equal(TestCipher.Encrypt(algorithm, key, challenge), step2[4..(4 + block)]);
        return 0x9000;
    }

    public void Expect(string command, string response) => Assert.Equal(response, Send(command));

    public static ushort Sw(byte[] response) => (ushort)((response[^2] << 8) | response[^1]);

    public static byte[] PadPin(string pin)
    {
        var padded = Enumerable.Repeat((byte)0xFF, 8).ToArray();
        System.Text.Encoding.ASCII.GetBytes(pin).CopyTo(padded, 0);
        return padded;
    }
}
