using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>Certificates the tools need or print, made and checked host-side.</summary>
internal static class TestCertificates
{
    /// <summary>
    /// A certificate for a card's public key (PEM, RSA or EC), signed by a throw-away key: the tools' test-signature and
    /// test-decipher only need the public key in it.
    /// </summary>
    public static string For(string publicKeyPem)
    {
        using var issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        var issuer = new X500DistinguishedName("CN=throw-away issuer");
        CertificateRequest request;
        using var rsa = RSA.Create();
        using var ecdsa = ECDsa.Create();
        if (publicKeyPem.Contains("BEGIN PUBLIC KEY", StringComparison.Ordinal) && TryImport(rsa, publicKeyPem))
        {
            request = new CertificateRequest("CN=hw-sim", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        else
        {
            ecdsa.ImportFromPem(publicKeyPem);
            request = new CertificateRequest("CN=hw-sim", ecdsa, HashAlgorithmName.SHA256);
        }

        using var certificate = request.Create(issuer, X509SignatureGenerator.CreateForECDsa(issuerKey), now.AddDays(-1), now.AddDays(30), [1, 2, 3, 4]);
        return certificate.ExportCertificatePem() + "\n";
    }

    /// <summary>Whether a card's attestation statement chains through its F9 certificate to the tests' simulator root.</summary>
    public static void AssertAttestedBy(VirtualCard card, X509Certificate2 statement)
    {
        var f9 = card.State.ObjectValue(DataObjectIds.AttestationCertificate)!;
        using var intermediate = X509CertificateLoader.LoadCertificate(SimpleTlv.Read(f9).Value);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TestCards.Root.Certificate);
        chain.ChainPolicy.ExtraStore.Add(intermediate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(statement), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    /// <summary>The certificate's signature verifies with its own public key (it was made by the card's private key).</summary>
    public static void AssertSelfSignedVerifies(X509Certificate2 certificate)
    {
        var reader = new AsnReader(certificate.RawData, AsnEncodingRules.DER).ReadSequence();
        var toBeSigned = reader.ReadEncodedValue().ToArray();
        var algorithm = reader.ReadSequence().ReadObjectIdentifier();
        var signature = reader.ReadBitString(out _);
        bool valid = algorithm switch
        {
            "1.2.840.113549.1.1.11" => certificate.GetRSAPublicKey()!.VerifyData(toBeSigned, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            "1.2.840.10045.4.3.2" => certificate.GetECDsaPublicKey()!.VerifyData(toBeSigned, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            "1.2.840.10045.4.3.3" => certificate.GetECDsaPublicKey()!.VerifyData(toBeSigned, signature, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence),
            _ => throw new InvalidOperationException("unexpected signature algorithm " + algorithm),
        };
        Assert.True(valid, $"the {algorithm} signature of {certificate.Subject} does not verify with its own key");
    }

    private static bool TryImport(RSA rsa, string pem)
    {
        try
        {
            rsa.ImportFromPem(pem);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
