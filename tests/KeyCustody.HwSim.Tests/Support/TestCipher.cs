using System.Security.Cryptography;

namespace KeyCustody.HwSim.Tests.Support;

/// <summary>The host side of management-key authentication, written independently of the simulator.</summary>
internal static class TestCipher
{
    public static byte[] Encrypt(byte algorithm, byte[] key, byte[] block) => Run(algorithm, key, block, true);

    public static byte[] Decrypt(byte algorithm, byte[] key, byte[] block) => Run(algorithm, key, block, false);

    private static byte[] Run(byte algorithm, byte[] key, byte[] block, bool encrypt)
    {
        if (algorithm != 0x03)
        {
            using var aes = Aes.Create();
            aes.Key = key;
            return encrypt ? aes.EncryptEcb(block, PaddingMode.None) : aes.DecryptEcb(block, PaddingMode.None);
        }

        // 3DES-EDE with keying option 1 from single DES (TripleDES refuses the all-equal default key).
        byte[] Des(byte[] k, byte[] b, bool e)
        {
            using var des = DES.Create();
            des.Key = k;
            return e ? des.EncryptEcb(b, PaddingMode.None) : des.DecryptEcb(b, PaddingMode.None);
        }

        var k1 = key[..8];
        var k2 = key[8..16];
        var k3 = key[16..];
        return encrypt ? Des(k3, Des(k2, Des(k1, block, true), false), true) : Des(k1, Des(k2, Des(k3, block, false), true), false);
    }
}
