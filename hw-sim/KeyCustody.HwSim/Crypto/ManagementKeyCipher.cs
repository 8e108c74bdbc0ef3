using System.Security.Cryptography;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Crypto;

/// <summary>
/// Single-block ECB encryption with the management key, as mutual authentication uses it.
/// 3DES is built from three DES passes because .NET's TripleDES refuses the YubiKey default key
/// (01..08 three times is a "weak" key: all three parts equal).
/// </summary>
internal static class ManagementKeyCipher
{
    public static byte[] Encrypt(ManagementKeyAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> block) =>
        algorithm == ManagementKeyAlgorithm.TripleDes ? DesEde(key, block, encrypt: true) : AesBlock(key, block, encrypt: true);

    public static byte[] Decrypt(ManagementKeyAlgorithm algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> block) =>
        algorithm == ManagementKeyAlgorithm.TripleDes ? DesEde(key, block, encrypt: false) : AesBlock(key, block, encrypt: false);

    /// <summary>False for keys this card cannot use (a 3DES key with a weak DES part).</summary>
    public static bool IsUsable(ManagementKeyAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        try
        {
            _ = Encrypt(algorithm, key, new byte[PivAlgorithms.BlockLength(algorithm)]);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static byte[] AesBlock(ReadOnlySpan<byte> key, ReadOnlySpan<byte> block, bool encrypt)
    {
        using var aes = Aes.Create();
        var keyCopy = key.ToArray();
        try
        {
            aes.Key = keyCopy;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyCopy);
        }

        return encrypt ? aes.EncryptEcb(block, PaddingMode.None) : aes.DecryptEcb(block, PaddingMode.None);
    }

    private static byte[] DesEde(ReadOnlySpan<byte> key, ReadOnlySpan<byte> block, bool encrypt)
    {
        // EDE: encrypt = E(K3, D(K2, E(K1, x))); decrypt = D(K1, E(K2, D(K3, x))).
        var k1 = key[..8];
        var k2 = key[8..16];
        var k3 = key[16..24];
        return encrypt
            ? Des(k3, Des(k2, Des(k1, block, true), false), true)
            : Des(k1, Des(k2, Des(k3, block, false), true), false);
    }

#pragma warning disable CA5351 // 3DES management keys are what the card protocol uses; DES is the building block.
    private static byte[] Des(ReadOnlySpan<byte> key, ReadOnlySpan<byte> block, bool encrypt)
    {
        using var des = DES.Create();
#pragma warning restore CA5351
        var keyCopy = key.ToArray();
        try
        {
            des.Key = keyCopy;
        }
        catch (CryptographicException e)
        {
            // .NET refuses the 16 DES weak/semi-weak keys; SET MANAGEMENT KEY checks IsUsable first.
            throw new ArgumentException("weak DES key part", nameof(key), e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyCopy);
        }

        return encrypt ? des.EncryptEcb(block, PaddingMode.None) : des.DecryptEcb(block, PaddingMode.None);
    }
}
