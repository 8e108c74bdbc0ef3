using System.Numerics;
using System.Security.Cryptography;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.OpenPgp.Keys;

/// <summary>
/// The extended header list of a key import (PUT DATA 00 DB 3F FF, 3.4 §4.4.3.12): <c>4D { CRT, 7F48 {tag length ...},
/// 5F48 {values, concatenated} }</c>. The CRT is B6/B8/A4 with no content or with a key reference (<c>B6 03 84 01 81</c>,
/// Yubico's ATT key). ECC: 92 private key (and 99 public key, required where the attributes end in FF); RSA: 91 e, 92 p,
/// 93 q (CRT parts and the modulus may follow and are recomputed). X25519's scalar comes big-endian, as GnuPG stores it
/// (opcard-rs reverses it too).
/// </summary>
internal static class PgpKeyImport
{
    /// <summary>The key the template is for; null when the CRT is malformed.</summary>
    public static PgpKey? TargetKey(ReadOnlySpan<byte> crt, int crtTag)
    {
        PgpKey? byTag = crtTag switch
        {
            0xB6 => PgpKey.Signature,
            0xB8 => PgpKey.Decryption,
            0xA4 => PgpKey.Authentication,
            _ => null,
        };
        if (byTag is null || crt.Length == 0)
        {
            return byTag;
        }

        // A key reference: 84 01 ref; it must agree with the template tag (81, ATT, goes with B6).
        if (crt.Length != 3 || crt[0] != 0x84 || crt[1] != 0x01 || KeyTags.FromReference(crt[2]) is not { } referenced)
        {
            return null;
        }

        bool agrees = referenced == byTag || (referenced == PgpKey.Attestation && byTag == PgpKey.Signature);
        return agrees ? referenced : null;
    }

    /// <summary>Splits <c>4D {CRT 7F48 5F48}</c>; false when it is not that.</summary>
    public static bool TrySplit(byte[] data, out int crtTag, out ReadOnlyMemory<byte> crt, out List<(int Tag, int Length)> layout, out ReadOnlyMemory<byte> values)
    {
        crtTag = 0;
        crt = default;
        layout = [];
        values = default;
        if (!Tlv.TryParseSingle(data, 0x4D, out var list) || !Tlv.TryParseAll(list, out var parts) || parts.Count != 3
            || parts[1].Tag != 0x7F48 || parts[2].Tag != 0x5F48 || !TryReadLayout(parts[1].Value.Span, layout))
        {
            return false;
        }

        crtTag = parts[0].Tag;
        crt = parts[0].Value;
        values = parts[2].Value;
        return layout.Sum(entry => entry.Length) == values.Length;
    }

    /// <summary>The key, or null when the values do not make one of this algorithm. Copies what it keeps.</summary>
    public static SlotKey? Build(PgpAlgorithm algorithm, List<(int Tag, int Length)> layout, ReadOnlySpan<byte> values, bool publicKeyRequired)
    {
        var fields = new Dictionary<int, (int Offset, int Length)>();
        int offset = 0;
        foreach (var (tag, length) in layout)
        {
            if (!fields.TryAdd(tag, (offset, length)))
            {
                return null;
            }

            offset += length;
        }

        return algorithm.IsRsa ? BuildRsa(algorithm, fields, values) : BuildEc(algorithm, fields, values, publicKeyRequired);
    }

    private static SlotKey? BuildEc(PgpAlgorithm algorithm, Dictionary<int, (int Offset, int Length)> fields, ReadOnlySpan<byte> values, bool publicKeyRequired)
    {
        if (!fields.TryGetValue(0x92, out var privateField) || (publicKeyRequired && !fields.ContainsKey(0x99)))
        {
            return null;
        }

        var type = algorithm.KeyType;
        int size = type is KeyAlgorithm.EccP384 ? 48 : 32;
        var scalar = Fixed(values.Slice(privateField.Offset, privateField.Length), size);
        try
        {
            if (scalar is null)
            {
                return null;
            }

            if (type == KeyAlgorithm.X25519)
            {
                scalar.AsSpan().Reverse();
            }

            var key = SlotKey.FromPrivate(type, scalar, PinPolicy.Default, TouchPolicy.Default, KeyOrigin.Imported);
            if (key is not null && fields.TryGetValue(0x99, out var publicField)
                && !MatchesPublicKey(key, values.Slice(publicField.Offset, publicField.Length)))
            {
                key.Dispose();
                return null;
            }

            return key;
        }
        finally
        {
            if (scalar is not null)
            {
                CryptographicOperations.ZeroMemory(scalar);
            }
        }
    }

    /// <summary>p and q with e = 65537 (the only exponent the card's RSA keeps); dP, dQ and qInv are derived from them.</summary>
    private static RsaSlotKey? BuildRsa(PgpAlgorithm algorithm, Dictionary<int, (int Offset, int Length)> fields, ReadOnlySpan<byte> values)
    {
        if (!fields.TryGetValue(0x91, out var e) || !fields.TryGetValue(0x92, out var pField) || !fields.TryGetValue(0x93, out var qField)
            || new BigInteger(values.Slice(e.Offset, e.Length), isUnsigned: true, isBigEndian: true) != RsaCrt.PublicExponent)
        {
            return null;
        }

        var p = new BigInteger(values.Slice(pField.Offset, pField.Length), isUnsigned: true, isBigEndian: true);
        var q = new BigInteger(values.Slice(qField.Offset, qField.Length), isUnsigned: true, isBigEndian: true);
        if (p <= 2 || q <= 2 || p == q)
        {
            return null;
        }

        if (p < q)
        {
            (p, q) = (q, p);
        }

        var parts = new[]
        {
            (1, p), (2, q), (3, ModInverse(RsaCrt.PublicExponent, p - 1)), (4, ModInverse(RsaCrt.PublicExponent, q - 1)), (5, ModInverse(q, p)),
        };
        if (parts.Any(part => part.Item2.IsZero))
        {
            return null;
        }

        var encoded = parts.Select(part => Tlv.Encode(part.Item1, part.Item2.ToByteArray(isUnsigned: true, isBigEndian: true))).ToArray();
        var material = Tlv.Concat(encoded);
        try
        {
            return RsaSlotKey.FromCrtTlvs(algorithm.KeyType, material, PinPolicy.Default, TouchPolicy.Default, KeyOrigin.Imported);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
            foreach (var part in encoded)
            {
                CryptographicOperations.ZeroMemory(part);
            }
        }
    }

    /// <summary>The public key as sent: 04||X||Y for NIST curves; 40||u or the bare 32 bytes for Curve25519 and Ed25519.</summary>
    private static bool MatchesPublicKey(SlotKey key, ReadOnlySpan<byte> sent)
    {
        var expected = key.PublicKey.AsSpan();
        if (key is Ed25519SlotKey or X25519SlotKey && sent.Length == 33 && sent[0] == 0x40)
        {
            sent = sent[1..];
        }

        return sent.SequenceEqual(expected);
    }

    /// <summary>A big-endian integer at exactly <paramref name="size"/> bytes: left-padded, or with leading zeros dropped.</summary>
    private static byte[]? Fixed(ReadOnlySpan<byte> value, int size)
    {
        while (value.Length > size && value[0] == 0)
        {
            value = value[1..];
        }

        if (value.Length > size || value.Length == 0)
        {
            return null;
        }

        var result = new byte[size];
        value.CopyTo(result.AsSpan(size - value.Length));
        return result;
    }

    private static bool TryReadLayout(ReadOnlySpan<byte> template, List<(int Tag, int Length)> layout)
    {
        int pos = 0;
        while (pos < template.Length)
        {
            int tag = template[pos++];
            if (pos >= template.Length)
            {
                return false;
            }

            int length = template[pos++];
            if (length == 0x81 || length == 0x82)
            {
                int count = length & 0x7F;
                if (pos + count > template.Length)
                {
                    return false;
                }

                length = 0;
                for (int i = 0; i < count; i++)
                {
                    length = (length << 8) | template[pos++];
                }
            }
            else if (length > 0x80)
            {
                return false;
            }

            layout.Add((tag, length));
        }

        return true;
    }

    private static BigInteger ModInverse(BigInteger value, BigInteger modulus)
    {
        BigInteger r0 = modulus, r1 = value % modulus, t0 = 0, t1 = 1;
        while (r1 != 0)
        {
            var quotient = r0 / r1;
            (r0, r1) = (r1, r0 - (quotient * r1));
            (t0, t1) = (t1, t0 - (quotient * t1));
        }

        return r0 != 1 ? BigInteger.Zero : t0.Sign < 0 ? t0 + modulus : t0;
    }
}
