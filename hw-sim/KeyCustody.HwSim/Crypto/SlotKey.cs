using System.Security.Cryptography;
using KeyCustody.HwSim.Applet;

namespace KeyCustody.HwSim.Crypto;

/// <summary>
/// A private key held in a slot with its policies. Owns its private material and zeroes it on dispose.
/// </summary>
public abstract class SlotKey : IDisposable
{
    private readonly byte[] _privateMaterial;

    protected SlotKey(byte[] privateMaterial, byte[] publicKey, PinPolicy pinPolicy, TouchPolicy touchPolicy, KeyOrigin origin)
    {
        _privateMaterial = privateMaterial;
        PublicKey = publicKey;
        PinPolicy = pinPolicy;
        TouchPolicy = touchPolicy;
        Origin = origin;
    }

    public abstract KeyAlgorithm Algorithm { get; }

    /// <summary>Raw public key: 32 bytes for Ed25519/X25519, the uncompressed point 04||X||Y for P-256.</summary>
    public byte[] PublicKey { get; }

    public PinPolicy PinPolicy { get; }
    public TouchPolicy TouchPolicy { get; }
    public KeyOrigin Origin { get; }

    /// <summary>The private seed/scalar; only the state file reads it.</summary>
    internal ReadOnlySpan<byte> PrivateMaterial => _privateMaterial;

    /// <summary>The TLV the card returns for the public key (inside 7F 49, and as metadata tag 04): <c>86 L key</c>.</summary>
    public byte[] PublicKeyTlv() => Apdu.Tlv.Encode(0x86, PublicKey);

    /// <summary>Signs with the key. Null when this algorithm cannot sign or the input is unacceptable.</summary>
    public abstract byte[]? Sign(ReadOnlySpan<byte> input);

    /// <summary>Key agreement with a peer public key. Null when unsupported or the peer key is invalid.</summary>
    public abstract byte[]? Agree(ReadOnlySpan<byte> peerPublicKey);

    public static SlotKey Generate(KeyAlgorithm algorithm, PinPolicy pinPolicy, TouchPolicy touchPolicy) => algorithm switch
    {
        KeyAlgorithm.Ed25519 => Ed25519SlotKey.Generate(pinPolicy, touchPolicy),
        KeyAlgorithm.X25519 => X25519SlotKey.Generate(pinPolicy, touchPolicy),
        KeyAlgorithm.EccP256 => P256SlotKey.Generate(pinPolicy, touchPolicy),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Rebuilds a key from its private material (import, or loading state). Takes a copy; null if invalid.</summary>
    public static SlotKey? FromPrivate(KeyAlgorithm algorithm, ReadOnlySpan<byte> privateMaterial, PinPolicy pinPolicy, TouchPolicy touchPolicy, KeyOrigin origin) => algorithm switch
    {
        KeyAlgorithm.Ed25519 => Ed25519SlotKey.FromSeed(privateMaterial, pinPolicy, touchPolicy, origin),
        KeyAlgorithm.X25519 => X25519SlotKey.FromScalar(privateMaterial, pinPolicy, touchPolicy, origin),
        KeyAlgorithm.EccP256 => P256SlotKey.FromScalar(privateMaterial, pinPolicy, touchPolicy, origin),
        _ => null,
    };

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) => CryptographicOperations.ZeroMemory(_privateMaterial);
}
