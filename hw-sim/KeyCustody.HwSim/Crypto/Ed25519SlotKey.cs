using System.Security.Cryptography;
using KeyCustody.HwSim.Applet;
using NSec.Cryptography;

namespace KeyCustody.HwSim.Crypto;

/// <summary>Ed25519 (algorithm E0): PureEdDSA over the raw message, as the YubiKey 5.7 signs.</summary>
public sealed class Ed25519SlotKey : SlotKey
{
    private Ed25519SlotKey(byte[] seed, byte[] publicKey, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
        : base(seed, publicKey, pin, touch, origin)
    {
    }

    public override KeyAlgorithm Algorithm => KeyAlgorithm.Ed25519;

    public static Ed25519SlotKey Generate(PinPolicy pin, TouchPolicy touch)
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        try
        {
            return FromSeed(seed, pin, touch, KeyOrigin.Generated)!;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public static Ed25519SlotKey? FromSeed(ReadOnlySpan<byte> seed, PinPolicy pin, TouchPolicy touch, KeyOrigin origin)
    {
        if (seed.Length != 32)
        {
            return null;
        }

        using var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        return new Ed25519SlotKey(seed.ToArray(), publicKey, pin, touch, origin);
    }

    public override byte[]? Sign(ReadOnlySpan<byte> input)
    {
        using var key = Key.Import(SignatureAlgorithm.Ed25519, PrivateMaterial, KeyBlobFormat.RawPrivateKey);
        return SignatureAlgorithm.Ed25519.Sign(key, input);
    }

    public override byte[]? Agree(ReadOnlySpan<byte> peerPublicKey) => null;

    /// <summary>.NET has no Ed25519 key type: the SubjectPublicKeyInfo is built from the OID (1.3.101.112) and the raw key.</summary>
    internal override System.Security.Cryptography.X509Certificates.PublicKey ToX509PublicKey() =>
        new(new Oid("1.3.101.112"), null, new AsnEncodedData(PublicKey));
}
