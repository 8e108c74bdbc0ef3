using System.Security.Cryptography;

namespace KeyCustody.Tokens.Piv.Commands;

/// <summary>
/// Mutual authentication with the management key (GENERAL AUTHENTICATE, key 9B), as ykman and ykpiv do it:
/// the card sends E(W); we answer W and our challenge C; the card answers E(C), which we check.
/// </summary>
internal static class ManagementKeyCommands
{
    public static int BlockSize(byte algorithm) => algorithm == PivAlgorithm.TripleDes ? 8 : 16;

    public static int KeyLength(byte algorithm) => algorithm switch
    {
        PivAlgorithm.TripleDes or PivAlgorithm.Aes192 => 24,
        PivAlgorithm.Aes128 => 16,
        PivAlgorithm.Aes256 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), $"unknown management key algorithm {algorithm:X2}"),
    };

    /// <summary><c>00 87 alg 9B 04 7C 02 80 00</c>: ask for the encrypted witness.</summary>
    public static CommandApdu RequestWitness(byte algorithm) => new(0x00, 0x87, algorithm, PivSlot.ManagementKey, [0x7C, 0x02, 0x80, 0x00]);

    public static byte[] ParseWitness(ResponseApdu response, byte algorithm, PivErrorContext context)
    {
        if (response.StatusWord == StatusWords.AuthenticationBlocked)
        {
            throw TokenErrors.ManagementKeyIncorrect(context.Token);
        }

        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "management key authentication (witness)");
        }

        return Inner(response.Data, 0x80, BlockSize(algorithm), context);
    }

    /// <summary><c>7C L 80 b W 81 b C</c>; sensitive: zeroed after sending.</summary>
    public static CommandApdu Respond(byte algorithm, ReadOnlySpan<byte> witness, ReadOnlySpan<byte> challenge)
    {
        int block = BlockSize(algorithm);
        var data = GC.AllocateArray<byte>(4 + 2 + 2 * block, pinned: true);
        data[0] = 0x7C;
        data[1] = (byte)(4 + 2 * block);
        data[2] = 0x80;
        data[3] = (byte)block;
        witness.CopyTo(data.AsSpan(4));
        data[4 + block] = 0x81;
        data[5 + block] = (byte)block;
        challenge.CopyTo(data.AsSpan(6 + block));
        return new CommandApdu(0x00, 0x87, algorithm, PivSlot.ManagementKey, data, sensitive: true);
    }

    /// <summary>The card's E(C); 6982 means the key was wrong.</summary>
    public static byte[] ParseResponse(ResponseApdu response, byte algorithm, PivErrorContext context)
    {
        if (response.StatusWord is StatusWords.SecurityStatusNotSatisfied or StatusWords.AuthenticationBlocked)
        {
            throw TokenErrors.ManagementKeyIncorrect(context.Token);
        }

        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "management key authentication");
        }

        return Inner(response.Data, 0x82, BlockSize(algorithm), context);
    }

    private static byte[] Inner(byte[] data, int tag, int block, PivErrorContext context)
    {
        try
        {
            var items = Ber.ReadAll(Ber.Unwrap(data, 0x7C));
            var value = Ber.Find(items, tag);
            return value is not null && value.Length == block
                ? value
                : throw new InvalidDataException($"tag {tag:X2} missing or not {block} bytes");
        }
        catch (InvalidDataException e)
        {
            throw context.Malformed("management key authentication", e);
        }
    }
}

/// <summary>Single-block ECB with the management key: AES, or 3DES-EDE composed from DES (which accepts the default key).</summary>
internal static class ManagementKeyCipher
{
    public static byte[] Encrypt(byte algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> block) => Run(algorithm, key, block, encrypt: true);

    public static byte[] Decrypt(byte algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> block) => Run(algorithm, key, block, encrypt: false);

    private static byte[] Run(byte algorithm, ReadOnlySpan<byte> key, ReadOnlySpan<byte> block, bool encrypt)
    {
        if (algorithm != PivAlgorithm.TripleDes)
        {
            using var aes = Aes.Create();
            aes.SetKey(key);
            return encrypt ? aes.EncryptEcb(block, PaddingMode.None) : aes.DecryptEcb(block, PaddingMode.None);
        }

        // .NET's TripleDES refuses keys whose thirds are equal (the YubiKey default is); EDE by hand does not.
        var k1 = key[..8];
        var k2 = key[8..16];
        var k3 = key[16..24];
        return encrypt
            ? Des(k3, Des(k2, Des(k1, block, true), false), true)
            : Des(k1, Des(k2, Des(k3, block, false), true), false);
    }

    private static byte[] Des(ReadOnlySpan<byte> key, ReadOnlySpan<byte> block, bool encrypt)
    {
#pragma warning disable CA5351 // DES is what the PIV 3DES management key is made of; not our choice of cipher.
        using var des = DES.Create();
#pragma warning restore CA5351
        des.SetKey(key);
        return encrypt ? des.EncryptEcb(block, PaddingMode.None) : des.DecryptEcb(block, PaddingMode.None);
    }
}
