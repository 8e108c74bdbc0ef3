namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// Base64 of secret bytes (a decrypted 4S secret is the base64 of an Ed25519 seed), decoded from bytes into a buffer
/// the caller owns, never through a string. Padding optional, as clients write both; trailing bits not checked.
/// </summary>
public static class SecretBase64
{
    /// <summary>Decodes standard-alphabet base64; null when it is not base64.</summary>
    public static SecretBuffer? Decode(ReadOnlySpan<byte> text)
    {
        var length = text.Length;
        var padding = 0;
        while (length > 0 && text[length - 1] == (byte)'=' && padding < 2)
        {
            length--;
            padding++;
        }

        if (length % 4 == 1 || (padding > 0 && (length + padding) % 4 != 0))
        {
            return null;
        }

        var output = new SecretBuffer(length * 3 / 4);
        int acc = 0, bits = 0, o = 0;
        for (var i = 0; i < length; i++)
        {
            var v = Value(text[i]);
            if (v < 0)
            {
                output.Dispose();
                acc = 0;
                return null;
            }

            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                output.Span[o++] = (byte)(acc >> bits);
                acc &= (1 << bits) - 1;
            }
        }

        acc = 0;
        return output;
    }

    /// <summary>Unpadded base64 of <paramref name="bytes"/> as ASCII bytes (the caller zeroes them).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> bytes)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        var output = new byte[((bytes.Length * 4) + 2) / 3];
        int acc = 0, bits = 0, o = 0;
        foreach (var b in bytes)
        {
            acc = (acc << 8) | b;
            bits += 8;
            while (bits >= 6)
            {
                bits -= 6;
                output[o++] = (byte)alphabet[(acc >> bits) & 63];
            }

            acc &= (1 << bits) - 1;
        }

        if (bits > 0)
        {
            output[o] = (byte)alphabet[(acc << (6 - bits)) & 63];
        }

        return output;
    }

    // Branches on the character are unavoidable here and leak only the alphabet class, not the value.
    private static int Value(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        _ => -1,
    };
}
