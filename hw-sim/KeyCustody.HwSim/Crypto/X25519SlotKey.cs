using System.Security.Cryptography;
using KeyCustody.HwSim.Applet;
using NSec.Cryptography;

namespace KeyCustody.HwSim.Crypto;

/// <summary>X25519 (algorithm E1): key agreement only.</summary>
public sealed class X25519SlotKey : SlotKey
{
    private X25519SlotKey(byte[] scalar, byte[] publicKey, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
        : base(scalar, publicKey, pin, touch, origin)
    {
    }

    public override KeyAlgorithm Algorithm => KeyAlgorithm.X25519;

    public static X25519SlotKey Generate(PinPolicy pin, TouchPolicy touch)
    {
        var scalar = RandomNumberGenerator.GetBytes(32);
        try
        {
            return FromScalar(scalar, pin, touch, KeyOrigin.Generated)!;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    public static X25519SlotKey? FromScalar(ReadOnlySpan<byte> scalar, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
    {
        if (scalar.Length != 32)
        {
            return null;
        }

        using var key = Key.Import(KeyAgreementAlgorithm.X25519, scalar, KeyBlobFormat.RawPrivateKey);
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        return new X25519SlotKey(scalar.ToArray(), publicKey, pin, touch, origin);
    }

    public override byte[]? Sign(ReadOnlySpan<byte> input) => null;

    public override byte[]? Agree(ReadOnlySpan<byte> peerPublicKey)
    {
        if (peerPublicKey.Length != 32)
        {
            return null;
        }

        using var key = Key.Import(KeyAgreementAlgorithm.X25519, PrivateMaterial, KeyBlobFormat.RawPrivateKey);
        var peer = NSec.Cryptography.PublicKey.Import(KeyAgreementAlgorithm.X25519, peerPublicKey, KeyBlobFormat.RawPublicKey);
        var parameters = new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        using var secret = KeyAgreementAlgorithm.X25519.Agree(key, peer, in parameters);
        return secret?.Export(SharedSecretBlobFormat.RawSharedSecret);
    }

    /// <summary>.NET has no X25519 key type: the SubjectPublicKeyInfo is built from the OID (1.3.101.110) and the raw key.</summary>
    internal override System.Security.Cryptography.X509Certificates.PublicKey ToX509PublicKey() =>
        new(new Oid("1.3.101.110"), null, new AsnEncodedData(PublicKey));
}
