using System.Security.Cryptography;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Crypto;

/// <summary>ECC P-256 (algorithm 11): ECDSA over a digest the host computed, and ECDH.</summary>
public sealed class P256SlotKey : SlotKey
{
    private P256SlotKey(byte[] scalar, byte[] publicKey, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
        : base(scalar, publicKey, pin, touch, origin)
    {
    }

    public override KeyAlgorithm Algorithm => KeyAlgorithm.EccP256;

    public static P256SlotKey Generate(PinPolicy pin, TouchPolicy touch)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ecdsa.ExportParameters(true);
        try
        {
            return FromScalar(parameters.D, pin, touch, KeyOrigin.Generated)!;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    public static P256SlotKey? FromScalar(ReadOnlySpan<byte> scalar, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
    {
        if (scalar.Length != 32)
        {
            return null;
        }

        var d = scalar.ToArray();
        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
            var q = ecdsa.ExportParameters(false).Q;
            var point = new byte[65];
            point[0] = 0x04;
            q.X!.CopyTo(point, 1);
            q.Y!.CopyTo(point, 33);
            return new P256SlotKey(d, point, pin, touch, origin);
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(d);
            return null;
        }
    }

    /// <summary>The card signs what it is given: a digest of at most 32 bytes, left-padded to the field size.</summary>
    public override byte[]? Sign(ReadOnlySpan<byte> input)
    {
        if (input.Length is 0 or > 32)
        {
            return null;
        }

        Span<byte> digest = stackalloc byte[32];
        digest.Clear();
        input.CopyTo(digest[(32 - input.Length)..]);
        using var ecdsa = ECDsa.Create();
        ImportPrivate(ecdsa);
        return ecdsa.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>ECDH with an uncompressed peer point; returns the shared X coordinate.</summary>
    public override byte[]? Agree(ReadOnlySpan<byte> peerPublicKey)
    {
        if (peerPublicKey.Length != 65 || peerPublicKey[0] != 0x04)
        {
            return null;
        }

        try
        {
            using var peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = peerPublicKey[1..33].ToArray(), Y = peerPublicKey[33..].ToArray() },
            });
            using var ecdh = ECDiffieHellman.Create();
            var d = PrivateMaterial.ToArray();
            try
            {
                ecdh.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
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

    /// <summary>An ECDsa over this key, for the attestation key (F9) signing certificates.</summary>
    internal ECDsa CreateEcdsa()
    {
        var ecdsa = ECDsa.Create();
        ImportPrivate(ecdsa);
        return ecdsa;
    }

    private void ImportPrivate(ECDsa ecdsa)
    {
        var d = PrivateMaterial.ToArray();
        try
        {
            ecdsa.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }
}
