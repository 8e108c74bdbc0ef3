using System.Security.Cryptography;

namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// A recovery key as people see it: base58 (Bitcoin alphabet) of <c>8B 01 ‖ 32-byte key ‖ parity</c>, the parity
/// being the XOR of every byte before it, shown in groups of four characters. Whitespace in what was typed does not
/// count. Bytes in, bytes out: the key never becomes a string.
/// </summary>
public static class RecoveryKey
{
    public const int KeyLength = 32;

    private const byte Prefix0 = 0x8B;
    private const byte Prefix1 = 0x01;
    private const int DecodedLength = 2 + KeyLength + 1;

    /// <summary>The 32-byte key from what the person typed (ASCII); throws <see cref="SecretStorageException"/> saying what is wrong.</summary>
    public static SecretBuffer Decode(ReadOnlySpan<byte> typed)
    {
        using var compact = new SecretBuffer(typed.Length);
        var length = 0;
        foreach (var b in typed)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                compact.Span[length++] = b;
            }
        }

        if (length == 0)
        {
            throw SecretStorageErrors.RecoveryKey("it is empty");
        }

        using var decoded = Base58.Decode(compact.Span[..length], out var bad)
            ?? throw SecretStorageErrors.RecoveryKey($"character {bad + 1} (not counting spaces) is not in the base58 alphabet");
        if (decoded.Length != DecodedLength)
        {
            throw SecretStorageErrors.RecoveryKey($"it decodes to {decoded.Length} bytes, not {DecodedLength}");
        }

        var bytes = decoded.Span;
        if (bytes[0] != Prefix0 || bytes[1] != Prefix1)
        {
            throw SecretStorageErrors.RecoveryKey("it does not start with the recovery key prefix (0x8B 0x01)");
        }

        if (Parity(bytes[..^1]) != bytes[^1])
        {
            throw SecretStorageErrors.RecoveryKey("its parity byte does not match (a character was mistyped)");
        }

        return decoded.Slice(2, KeyLength);
    }

    /// <summary>The recovery key of <paramref name="key"/> as ASCII bytes in groups of four (the caller zeroes them).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException($"a secret storage key is {KeyLength} bytes, not {key.Length}", nameof(key));
        }

        var raw = GC.AllocateArray<byte>(DecodedLength, pinned: true);
        byte[]? plain = null;
        try
        {
            raw[0] = Prefix0;
            raw[1] = Prefix1;
            key.CopyTo(raw.AsSpan(2));
            raw[^1] = Parity(raw.AsSpan(0, DecodedLength - 1));
            plain = Base58.Encode(raw);
            var grouped = new byte[plain.Length + ((plain.Length - 1) / 4)];
            for (int i = 0, o = 0; i < plain.Length; i++)
            {
                if (i > 0 && i % 4 == 0)
                {
                    grouped[o++] = (byte)' ';
                }

                grouped[o++] = plain[i];
            }

            return grouped;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
            if (plain is not null)
            {
                CryptographicOperations.ZeroMemory(plain);
            }
        }
    }

    private static byte Parity(ReadOnlySpan<byte> bytes)
    {
        byte parity = 0;
        foreach (var b in bytes)
        {
            parity ^= b;
        }

        return parity;
    }
}
