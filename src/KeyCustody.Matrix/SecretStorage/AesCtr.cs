using System.Security.Cryptography;

namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// AES-256 in counter mode, built from single-block AES (.NET has no CTR mode). The counter is the IV's low 64 bits,
/// big-endian, wrapping without carrying into the high half: WebCrypto's <c>AES-CTR</c> with <c>length: 64</c>, which
/// matrix-js-sdk (Element Web) uses. 4S clears bit 63 of the IV so the low half never wraps and 128-bit counters
/// (matrix-rust-sdk) give the same stream.
/// </summary>
internal static class AesCtr
{
    public const int IvLength = 16;
    public const int KeyLength = 32;
    private const int Block = 16;

    /// <summary>XORs <paramref name="input"/> with the key stream into <paramref name="output"/> (same length; encryption and decryption alike).</summary>
    public static void Transform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (key.Length != KeyLength || iv.Length != IvLength || output.Length != input.Length)
        {
            throw new ArgumentException("AES-256-CTR needs a 32-byte key, a 16-byte IV and an output as long as the input");
        }

        var blocks = (input.Length + Block - 1) / Block;
        var counters = GC.AllocateArray<byte>(blocks * Block, pinned: true);
        var stream = GC.AllocateArray<byte>(blocks * Block, pinned: true);
        try
        {
            var high = iv[..8];
            var low = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(iv[8..]);
            for (var b = 0; b < blocks; b++)
            {
                high.CopyTo(counters.AsSpan(b * Block));
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(counters.AsSpan((b * Block) + 8), unchecked(low + (ulong)b));
            }

            using var aes = Aes.Create();
            aes.SetKey(key);
            aes.EncryptEcb(counters, stream, PaddingMode.None);
            for (var i = 0; i < input.Length; i++)
            {
                output[i] = (byte)(input[i] ^ stream[i]);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stream);
            CryptographicOperations.ZeroMemory(counters);
        }
    }
}
