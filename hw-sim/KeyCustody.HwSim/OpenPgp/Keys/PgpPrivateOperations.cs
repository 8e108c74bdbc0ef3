using System.Security.Cryptography;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.OpenPgp.Keys;

/// <summary>
/// The private-key operations of 3.4 §7.2.10-7.2.13 on hw-sim's key classes. EdDSA signs the data field as the RFC 8032
/// message (nothing hashed: opcard-rs passes it unchanged, yubikit's _pad_message "EdDSA, never hash"); ECDSA signs a
/// digest of at most the field size and answers r || s; RSA pads a DigestInfo with PKCS#1 v1.5 block type 1 and
/// decrypts a PKCS#1 v1.5 cryptogram. ECDH answers the shared secret (X coordinate; Curve25519's u).
/// </summary>
internal static class PgpPrivateOperations
{
    /// <summary>Whether PSO:CDS or INTERNAL AUTHENTICATE accepts this input for the key (checked before PIN and touch are spent).</summary>
    public static bool CanSign(SlotKey key, int inputLength) => key switch
    {
        Ed25519SlotKey => true,
        EcSlotKey ec => inputLength > 0 && inputLength <= ec.FieldLength,
        RsaSlotKey rsa => inputLength > 0 && inputLength <= rsa.BlockLength - 11,
        _ => false,
    };

    public static byte[]? Sign(SlotKey key, ReadOnlySpan<byte> input) => key switch
    {
        Ed25519SlotKey ed => ed.Sign(input),
        EcSlotKey ec => ec.SignRaw(input),
        RsaSlotKey rsa => SignPkcs1(rsa, input),
        _ => null,
    };

    /// <summary>
    /// The PSO:DECIPHER input for this key, or null when it is not one: <c>00 || cryptogram</c> (RSA, exactly the modulus
    /// length) or <c>A6 {7F49 {86 point}}</c> (ECDH: 04||X||Y, Curve25519: 32 bytes).
    /// </summary>
    public static byte[]? DecipherInput(SlotKey key, byte[] data)
    {
        if (key is RsaSlotKey rsa)
        {
            return data.Length == rsa.BlockLength + 1 && data[0] == 0x00 ? data[1..] : null;
        }

        if (data.Length == 0 || data[0] != 0xA6
            || !Tlv.TryParseSingle(data, 0xA6, out var cipher)
            || !Tlv.TryParseSingle(cipher, 0x7F49, out var publicKey)
            || !Tlv.TryParseSingle(publicKey, 0x86, out var point))
        {
            return null;
        }

        return key switch
        {
            X25519SlotKey when point.Length == 32 => point.ToArray(),
            EcSlotKey ec when point.Length == 1 + (2 * ec.FieldLength) && point.Span[0] == 0x04 => point.ToArray(),
            _ => null,
        };
    }

    /// <summary>The plaintext (RSA) or shared secret (ECDH); null when the cryptogram is not PKCS#1 v1.5 or the point is not on the curve.</summary>
    public static byte[]? Decipher(SlotKey key, byte[] input)
    {
        if (key is not RsaSlotKey rsa)
        {
            return key.Agree(input);
        }

        var block = rsa.Sign(input);
        if (block is null)
        {
            return null;
        }

        try
        {
            // 00 02 PS (at least 8 nonzero bytes) 00 M
            int separator = block.AsSpan(2).IndexOf((byte)0x00);
            return block[0] == 0x00 && block[1] == 0x02 && separator >= 8 ? block[(separator + 3)..] : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    private static byte[]? SignPkcs1(RsaSlotKey rsa, ReadOnlySpan<byte> digestInfo)
    {
        int length = rsa.BlockLength;
        var block = new byte[length];
        block[1] = 0x01;
        block.AsSpan(2, length - digestInfo.Length - 3).Fill(0xFF);
        digestInfo.CopyTo(block.AsSpan(length - digestInfo.Length));
        return rsa.Sign(block);
    }
}
