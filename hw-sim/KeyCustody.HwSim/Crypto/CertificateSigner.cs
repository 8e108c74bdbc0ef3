using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.HwSim.Crypto;

/// <summary>The attestation key (F9) as a certificate signer: owns the key object the generator signs with.</summary>
internal sealed class CertificateSigner : IDisposable
{
    private readonly AsymmetricAlgorithm _key;

    private CertificateSigner(AsymmetricAlgorithm key, X509SignatureGenerator generator, HashAlgorithmName hash)
    {
        _key = key;
        Generator = generator;
        Hash = hash;
    }

    public X509SignatureGenerator Generator { get; }

    public HashAlgorithmName Hash { get; }

    public static CertificateSigner ForEcdsa(ECDsa key, HashAlgorithmName hash) =>
        new(key, X509SignatureGenerator.CreateForECDsa(key), hash);

    /// <summary>PKCS#1 v1.5 with SHA-256, as Yubico's RSA attestation keys sign.</summary>
    public static CertificateSigner ForRsa(RSA key) =>
        new(key, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256);

    public void Dispose() => _key.Dispose();
}
