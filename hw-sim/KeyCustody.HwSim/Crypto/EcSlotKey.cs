using System.Security.Cryptography;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Crypto;

/// <summary>ECC P-256 (algorithm 11) and P-384 (14): ECDSA over a digest the host computed, and ECDH.</summary>
public sealed class EcSlotKey : SlotKey
{
    private readonly KeyAlgorithm _algorithm;

    private EcSlotKey(KeyAlgorithm algorithm, byte[] scalar, byte[] publicKey, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
        : base(scalar, publicKey, pin, touch, origin)
    {
        _algorithm = algorithm;
    }

    public override KeyAlgorithm Algorithm => _algorithm;

    /// <summary>The field size in bytes: 32 for P-256, 48 for P-384 (scalar, coordinate, largest digest).</summary>
    public int FieldLength => FieldLengthOf(_algorithm);

    public static EcSlotKey GenerateKey(KeyAlgorithm algorithm, PinPolicy pin, TouchPolicy touch)
    {
        using var ecdsa = ECDsa.Create(CurveOf(algorithm));
        var parameters = ecdsa.ExportParameters(true);
        try
        {
            return FromScalar(algorithm, parameters.D, pin, touch, KeyOrigin.Generated)!;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    public static EcSlotKey? FromScalar(KeyAlgorithm algorithm, ReadOnlySpan<byte> scalar, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
    {
        int field = FieldLengthOf(algorithm);
        if (scalar.Length != field)
        {
            return null;
        }

        var d = scalar.ToArray();
        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportParameters(new ECParameters { Curve = CurveOf(algorithm), D = d });
            var q = ecdsa.ExportParameters(false).Q;
            var point = new byte[1 + (2 * field)];
            point[0] = 0x04;
            q.X!.CopyTo(point, 1);
            q.Y!.CopyTo(point, 1 + field);
            return new EcSlotKey(algorithm, d, point, pin, touch, origin);
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(d);
            return null;
        }
    }

    /// <summary>
    /// The card signs what it is given: a digest no longer than the field, left-padded with zeros to the field size
    /// (a SHA-256 digest under a P-384 key is signed as the 48-byte number it is).
    /// </summary>
    public override byte[]? Sign(ReadOnlySpan<byte> input) => SignDigest(input, DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>The same signature as r || s, each the field length (the OpenPGP card's ECDSA output, 3.4 §7.2.10).</summary>
    public byte[]? SignRaw(ReadOnlySpan<byte> input) => SignDigest(input, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    private byte[]? SignDigest(ReadOnlySpan<byte> input, DSASignatureFormat format)
    {
        int field = FieldLength;
        if (input.Length == 0 || input.Length > field)
        {
            return null;
        }

        Span<byte> digest = stackalloc byte[field];
        digest.Clear();
        input.CopyTo(digest[(field - input.Length)..]);
        using var ecdsa = CreateEcdsa();
        return ecdsa.SignHash(digest, format);
    }

    /// <summary>ECDH with an uncompressed peer point (04||X||Y); returns the shared X coordinate.</summary>
    public override byte[]? Agree(ReadOnlySpan<byte> peerPublicKey)
    {
        int field = FieldLength;
        if (peerPublicKey.Length != 1 + (2 * field) || peerPublicKey[0] != 0x04)
        {
            return null;
        }

        try
        {
            using var peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = CurveOf(_algorithm),
                Q = new ECPoint { X = peerPublicKey[1..(1 + field)].ToArray(), Y = peerPublicKey[(1 + field)..].ToArray() },
            });
            using var ecdh = ECDiffieHellman.Create();
            var d = PrivateMaterial.ToArray();
            try
            {
                ecdh.ImportParameters(new ECParameters { Curve = CurveOf(_algorithm), D = d });
            }
            finally
            {
                CryptographicOperations.ZeroMemory(d);
            }

            return ecdh.DeriveRawSecretAgreement(peer.PublicKey);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    internal override System.Security.Cryptography.X509Certificates.PublicKey ToX509PublicKey()
    {
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = CurveOf(_algorithm),
            Q = new ECPoint { X = PublicKey[1..(1 + FieldLength)], Y = PublicKey[(1 + FieldLength)..] },
        });
        return new System.Security.Cryptography.X509Certificates.PublicKey(ecdsa);
    }

    /// <summary>As the F9 key: ECDSA with SHA-256 (P-256) or SHA-384 (P-384).</summary>
    internal override CertificateSigner CreateCertificateSigner() =>
        CertificateSigner.ForEcdsa(CreateEcdsa(), _algorithm == KeyAlgorithm.EccP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256);

    private ECDsa CreateEcdsa()
    {
        var ecdsa = ECDsa.Create();
        var d = PrivateMaterial.ToArray();
        try
        {
            ecdsa.ImportParameters(new ECParameters { Curve = CurveOf(_algorithm), D = d });
            return ecdsa;
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    private static int FieldLengthOf(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EccP256 => 32,
        KeyAlgorithm.EccP384 => 48,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    private static ECCurve CurveOf(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EccP256 => ECCurve.NamedCurves.nistP256,
        KeyAlgorithm.EccP384 => ECCurve.NamedCurves.nistP384,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };
}
