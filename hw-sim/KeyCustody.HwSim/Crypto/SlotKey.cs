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

    /// <summary>Raw public key: 32 bytes for Ed25519/X25519, the uncompressed point 04||X||Y for P-256/P-384, the modulus for RSA.</summary>
    public byte[] PublicKey { get; }

    public PinPolicy PinPolicy { get; }
    public TouchPolicy TouchPolicy { get; }
    public KeyOrigin Origin { get; }

    /// <summary>The private seed/scalar; only the state file reads it.</summary>
    internal ReadOnlySpan<byte> PrivateMaterial => _privateMaterial;

    /// <summary>The TLVs the card returns for the public key (inside 7F 49, and as metadata tag 04): <c>86 L point</c> here, <c>81 n 82 e</c> for RSA.</summary>
    public virtual byte[] PublicKeyTlv() => Apdu.Tlv.Encode(0x86, PublicKey);

    /// <summary>
    /// The private-key operation of GENERAL AUTHENTICATE tag 81: a signature (Ed25519 over the message, ECDSA over a
    /// digest) or, for RSA, the raw private operation on a block the host padded (signing and decrypting are the same
    /// operation there). Null when this algorithm cannot do it or the input is unacceptable.
    /// </summary>
    public abstract byte[]? Sign(ReadOnlySpan<byte> input);

    /// <summary>Key agreement with a peer public key. Null when unsupported or the peer key is invalid.</summary>
    public abstract byte[]? Agree(ReadOnlySpan<byte> peerPublicKey);

    /// <summary>The public key as X.509 carries it (the subject of an attestation statement).</summary>
    internal abstract System.Security.Cryptography.X509Certificates.PublicKey ToX509PublicKey();

    /// <summary>A signer for certificates when this key sits in F9; null for algorithms that cannot attest.</summary>
    internal virtual CertificateSigner? CreateCertificateSigner() => null;

    public static SlotKey Generate(KeyAlgorithm algorithm, PinPolicy pinPolicy, TouchPolicy touchPolicy) => algorithm switch
    {
        KeyAlgorithm.Ed25519 => Ed25519SlotKey.Generate(pinPolicy, touchPolicy),
        KeyAlgorithm.X25519 => X25519SlotKey.Generate(pinPolicy, touchPolicy),
        KeyAlgorithm.EccP256 or KeyAlgorithm.EccP384 => EcSlotKey.GenerateKey(algorithm, pinPolicy, touchPolicy),
        _ when PivAlgorithms.IsRsa(algorithm) => RsaSlotKey.GenerateKey(algorithm, pinPolicy, touchPolicy),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>
    /// Rebuilds a key from its private material (import, or loading state). Takes a copy; null if invalid. The
    /// material is the seed or scalar, or for RSA the import TLVs 01..05 (p, q, dP, dQ, qInv).
    /// </summary>
    public static SlotKey? FromPrivate(KeyAlgorithm algorithm, ReadOnlySpan<byte> privateMaterial, PinPolicy pinPolicy, TouchPolicy touchPolicy, KeyOrigin origin) => algorithm switch
    {
        KeyAlgorithm.Ed25519 => Ed25519SlotKey.FromSeed(privateMaterial, pinPolicy, touchPolicy, origin),
        KeyAlgorithm.X25519 => X25519SlotKey.FromScalar(privateMaterial, pinPolicy, touchPolicy, origin),
        KeyAlgorithm.EccP256 or KeyAlgorithm.EccP384 => EcSlotKey.FromScalar(algorithm, privateMaterial, pinPolicy, touchPolicy, origin),
        _ when PivAlgorithms.IsRsa(algorithm) => RsaSlotKey.FromCrtTlvs(algorithm, privateMaterial, pinPolicy, touchPolicy, origin),
        _ => null,
    };

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) => CryptographicOperations.ZeroMemory(_privateMaterial);
}
