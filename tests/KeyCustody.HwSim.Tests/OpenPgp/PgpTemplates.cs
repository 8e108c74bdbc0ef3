namespace KeyCustody.HwSim.Tests.OpenPgp;

/// <summary>Key import templates (4D extended header lists) built by the tests, as GnuPG and ykman build them.</summary>
internal static class PgpTemplates
{
    public const string Ed25519 = "16 2B 06 01 04 01 DA 47 0F 01";
    public const string X25519 = "12 2B 06 01 04 01 97 55 01 05 01";
    public const string EcdsaP256 = "13 2A 86 48 CE 3D 03 01 07";
    public const string EcdhP256 = "12 2A 86 48 CE 3D 03 01 07";

    /// <summary><c>4D { crt 00, 7F48 {92 len [99 len]}, 5F48 {private [public]} }</c>.</summary>
    public static byte[] Ecc(byte crt, byte[] privateKey, byte[]? publicKey = null)
    {
        var header = new List<byte> { 0x92, (byte)privateKey.Length };
        if (publicKey is not null)
        {
            header.AddRange([0x99, (byte)publicKey.Length]);
        }

        byte[] values = [.. privateKey, .. publicKey ?? []];
        return List(crt, [.. header], values);
    }

    /// <summary>RSA in the standard format: 91 e, 92 p, 93 q.</summary>
    public static byte[] Rsa(byte crt, byte[] e, byte[] p, byte[] q)
    {
        byte[] header = [0x91, (byte)e.Length, .. Length(0x92, p.Length), .. Length(0x93, q.Length)];
        return List(crt, header, [.. e, .. p, .. q]);
    }

    private static byte[] List(byte crt, byte[] header, byte[] values)
    {
        byte[] body = [crt, 0x00, 0x7F, 0x48, .. Der(header.Length), .. header, 0x5F, 0x48, .. Der(values.Length), .. values];
        return [0x4D, .. Der(body.Length), .. body];
    }

    private static byte[] Length(byte tag, int length) => [tag, .. Der(length)];

    private static byte[] Der(int length) => length switch
    {
        < 0x80 => [(byte)length],
        <= 0xFF => [0x81, (byte)length],
        _ => [0x82, (byte)(length >> 8), (byte)length],
    };
}
