using System.Security.Cryptography;

namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// Base58 with the Bitcoin alphabet, as recovery keys use it (spec appendix "Cryptographic key representation").
/// Works on bytes only, and every intermediate buffer is zeroed: the input is a secret.
/// </summary>
internal static class Base58
{
    public const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    private static readonly sbyte[] Values = BuildValues();

    /// <summary>
    /// Decodes ASCII base58 (no whitespace) into a new secret buffer; null and <paramref name="badPosition"/> set
    /// when a character is not in the alphabet.
    /// </summary>
    public static SecretBuffer? Decode(ReadOnlySpan<byte> text, out int badPosition)
    {
        badPosition = -1;
        var zeros = 0;
        while (zeros < text.Length && text[zeros] == (byte)'1')
        {
            zeros++;
        }

        // log(58) / log(256) < 0.733: enough room for the big-endian number.
        var work = GC.AllocateArray<byte>((text.Length * 733 / 1000) + 1, pinned: true);
        try
        {
            var used = 0;
            for (var i = zeros; i < text.Length; i++)
            {
                var digit = text[i] < 128 ? Values[text[i]] : (sbyte)-1;
                if (digit < 0)
                {
                    badPosition = i;
                    return null;
                }

                var carry = (int)digit;
                var j = 0;
                for (var k = work.Length - 1; (carry != 0 || j < used) && k >= 0; k--, j++)
                {
                    carry += 58 * work[k];
                    work[k] = (byte)carry;
                    carry >>= 8;
                }

                used = j;
            }

            var result = new SecretBuffer(zeros + used);
            work.AsSpan(work.Length - used).CopyTo(result.Span[zeros..]);
            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(work);
        }
    }

    /// <summary>Encodes into ASCII bytes (the caller owns and zeroes them).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> bytes)
    {
        var zeros = 0;
        while (zeros < bytes.Length && bytes[zeros] == 0)
        {
            zeros++;
        }

        // log(256) / log(58) < 1.366.
        var work = GC.AllocateArray<byte>((bytes.Length * 138 / 100) + 1, pinned: true);
        try
        {
            var used = 0;
            for (var i = zeros; i < bytes.Length; i++)
            {
                var carry = (int)bytes[i];
                var j = 0;
                for (var k = work.Length - 1; (carry != 0 || j < used) && k >= 0; k--, j++)
                {
                    carry += 256 * work[k];
                    work[k] = (byte)(carry % 58);
                    carry /= 58;
                }

                used = j;
            }

            var result = new byte[zeros + used];
            result.AsSpan(0, zeros).Fill((byte)'1');
            for (var i = 0; i < used; i++)
            {
                result[zeros + i] = (byte)Alphabet[work[work.Length - used + i]];
            }

            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(work);
        }
    }

    private static sbyte[] BuildValues()
    {
        var values = new sbyte[128];
        Array.Fill(values, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            values[Alphabet[i]] = (sbyte)i;
        }

        return values;
    }
}
