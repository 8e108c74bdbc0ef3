using System.Numerics;
using System.Security.Cryptography;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Crypto;

/// <summary>
/// RSA 1024/2048/3072/4096 (algorithms 06, 07, 05, 16) with e = 65537. GENERAL AUTHENTICATE is the raw private
/// operation on a block as long as the modulus that the host padded (PKCS#1 v1.5, PSS, OAEP: the card does not
/// care), so one operation serves both signing and decryption, as on the card.
/// </summary>
public sealed class RsaSlotKey : SlotKey
{
    private static readonly byte[] ExponentBytes = [0x01, 0x00, 0x01];
    private readonly KeyAlgorithm _algorithm;
    private readonly RsaCrt _crt;

    private RsaSlotKey(KeyAlgorithm algorithm, RsaCrt crt, byte[] material, byte[] modulus, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
        : base(material, modulus, pin, touch, origin)
    {
        _algorithm = algorithm;
        _crt = crt;
    }

    public override KeyAlgorithm Algorithm => _algorithm;

    /// <summary>The modulus length in bytes: the length of every input and output block.</summary>
    public int BlockLength => PublicKey.Length;

    public static RsaSlotKey GenerateKey(KeyAlgorithm algorithm, PinPolicy pin, TouchPolicy touch)
    {
        using var rsa = RSA.Create(PivAlgorithms.RsaBits(algorithm));
        var parameters = rsa.ExportParameters(true);
        var material = Tlv.Concat(
            Tlv.Encode(0x01, parameters.P), Tlv.Encode(0x02, parameters.Q), Tlv.Encode(0x03, parameters.DP),
            Tlv.Encode(0x04, parameters.DQ), Tlv.Encode(0x05, parameters.InverseQ));
        try
        {
            return FromCrtTlvs(algorithm, material, pin, touch, KeyOrigin.Generated)
                ?? throw new CryptographicException("generated RSA key is not usable");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
            foreach (var secret in new[] { parameters.D, parameters.P, parameters.Q, parameters.DP, parameters.DQ, parameters.InverseQ })
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }
    }

    /// <summary>
    /// From the IMPORT layout: 01 p, 02 q, 03 dP, 04 dQ, 05 qInv, each up to half the modulus long (shorter values are
    /// left-padded, as yubico-piv-tool sends them). Null when an element is missing or they do not make a key of this size.
    /// </summary>
    public static RsaSlotKey? FromCrtTlvs(KeyAlgorithm algorithm, ReadOnlySpan<byte> material, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
    {
        int bits = PivAlgorithms.RsaBits(algorithm);
        int half = bits / 16;
        var buffer = material.ToArray();
        var normalized = new byte[5 * (half + 2 + (half < 0x80 ? 0 : half <= 0xFF ? 1 : 2))];
        try
        {
            if (bits == 0 || !Tlv.TryParseAll(buffer, out var fields))
            {
                return null;
            }

            var values = new BigInteger[5];
            int written = 0;
            for (int tag = 1; tag <= 5; tag++)
            {
                if (Tlv.Find(fields, tag) is not { } field || !TryLeftPad(field.Value.Span, half, out var padded))
                {
                    return null;
                }

                values[tag - 1] = new BigInteger(padded, isUnsigned: true, isBigEndian: true);
                var encoded = Tlv.Encode(tag, padded);
                encoded.CopyTo(normalized, written);
                written += encoded.Length;
                CryptographicOperations.ZeroMemory(padded);
                CryptographicOperations.ZeroMemory(encoded);
            }

            var crt = RsaCrt.TryCreate(bits, values[0], values[1], values[2], values[3], values[4]);
            if (crt is null)
            {
                return null;
            }

            var modulus = crt.Modulus.ToByteArray(isUnsigned: true, isBigEndian: true);
            var key = new RsaSlotKey(algorithm, crt, normalized[..written], modulus, pin, touch, origin);
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            CryptographicOperations.ZeroMemory(normalized);
        }
    }

    public override byte[] PublicKeyTlv() => Tlv.Concat(Tlv.Encode(0x81, PublicKey), Tlv.Encode(0x82, ExponentBytes));

    /// <summary>The raw private operation: the block must be exactly as long as the modulus and smaller than it.</summary>
    public override byte[]? Sign(ReadOnlySpan<byte> input)
    {
        if (input.Length != BlockLength)
        {
            return null;
        }

        var c = new BigInteger(input, isUnsigned: true, isBigEndian: true);
        if (c >= _crt.Modulus)
        {
            return null;
        }

        var m = _crt.PrivateOperation(c).ToByteArray(isUnsigned: true, isBigEndian: true);
        var block = new byte[BlockLength];
        m.CopyTo(block, BlockLength - m.Length);
        return block;
    }

    public override byte[]? Agree(ReadOnlySpan<byte> peerPublicKey) => null;

    internal override System.Security.Cryptography.X509Certificates.PublicKey ToX509PublicKey()
    {
        using var rsa = RSA.Create(new RSAParameters { Modulus = PublicKey, Exponent = ExponentBytes });
        return new System.Security.Cryptography.X509Certificates.PublicKey(rsa);
    }

    internal override CertificateSigner CreateCertificateSigner()
    {
        int half = BlockLength / 2;
        var parameters = new RSAParameters
        {
            Modulus = PublicKey,
            Exponent = ExponentBytes,
            D = Fixed(_crt.PrivateExponent(), BlockLength),
            P = Fixed(_crt.P, half),
            Q = Fixed(_crt.Q, half),
            DP = Fixed(_crt.DP, half),
            DQ = Fixed(_crt.DQ, half),
            InverseQ = Fixed(_crt.QInv, half),
        };
        try
        {
            return CertificateSigner.ForRsa(RSA.Create(parameters));
        }
        finally
        {
            foreach (var secret in new[] { parameters.D, parameters.P, parameters.Q, parameters.DP, parameters.DQ, parameters.InverseQ })
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }
    }

    private static bool TryLeftPad(ReadOnlySpan<byte> value, int length, out byte[] padded)
    {
        // Canonical integers may carry leading zeros beyond the half length (a sign byte); they are dropped.
        while (value.Length > length && value[0] == 0)
        {
            value = value[1..];
        }

        padded = new byte[length];
        if (value.Length == 0 || value.Length > length)
        {
            return false;
        }

        value.CopyTo(padded.AsSpan(length - value.Length));
        return true;
    }

    private static byte[] Fixed(BigInteger value, int length)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = new byte[length];
        bytes.CopyTo(result, length - bytes.Length);
        CryptographicOperations.ZeroMemory(bytes);
        return result;
    }
}
