using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// ykman 4.0.9's `piv` commands (key types RSA1024, RSA2048, ECCP256, ECCP384) against the simulator behind pcscd,
/// on a card with the 5.7 factory management key (AES-192, which ykman finds through GET METADATA).
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class YkmanPivTests : CardBehindPcscd
{
    private const string ManagementKey = "010203040506070801020304050607080102030405060708";
    private readonly CommandLineTool _ykman;

    public YkmanPivTests(PcscdFixture fixture)
        : base(fixture, TestCards.Create(serial: 5550012))
    {
        _ykman = Ykman.OnSlot(Pcscd, Slot, Work);
    }

    [Fact]
    public void Piv_info_reads_pin_management_key_and_objects()
    {
        var info = _ykman.Run("piv", "info");
        Assert.Contains("PIV version: 5.7.1", info);
        Assert.Contains("PIN tries remaining: 3/3", info);
        Assert.Contains("Management key algorithm: AES192", info);
        Assert.Contains("WARNING: Using default Management key!", info);
    }

    [Theory]
    [InlineData("RSA1024", 0x06)]
    [InlineData("RSA2048", 0x07)]
    [InlineData("ECCP256", 0x11)]
    [InlineData("ECCP384", 0x14)]
    public void Generated_keys_sign_their_certificate_through_the_card_and_attest(string algorithm, byte id)
    {
        var publicPem = WorkFile("public.pem");
        _ykman.Run("piv", "keys", "generate", "-m", ManagementKey, "-a", algorithm, "9a", publicPem);
        Assert.Equal(id, (byte)Card.State.KeyIn(0x9A)!.Algorithm);
        _ykman.Run("piv", "certificates", "generate", "-m", ManagementKey, "-P", "123456", "-s", "CN=hw-sim " + algorithm, "9a", publicPem);
        using var certificate = X509Certificate2.CreateFromPem(_ykman.Run("piv", "certificates", "export", "9a", "-"));
        Assert.Equal("CN=hw-sim " + algorithm, certificate.Subject);
        Assert.Equal(PublicKeyInfo(File.ReadAllText(publicPem)), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        TestCertificates.AssertSelfSignedVerifies(certificate);

        var attestation = WorkFile("attestation.pem");
        _ykman.Run("piv", "keys", "attest", "9a", attestation);
        using var statement = X509Certificate2.CreateFromPem(File.ReadAllText(attestation));
        Assert.Equal(certificate.PublicKey.ExportSubjectPublicKeyInfo(), statement.PublicKey.ExportSubjectPublicKeyInfo());
        TestCertificates.AssertAttestedBy(Card, statement);
        Assert.Equal(PublicKeyInfo(File.ReadAllText(publicPem)), PublicKeyInfo(_ykman.Run("piv", "keys", "export", "9a", "-")));
        Assert.Contains("Algorithm:\t" + algorithm, _ykman.Run("piv", "info"));
    }

    [Fact]
    public void Certificates_request_import_export_and_delete()
    {
        var publicPem = WorkFile("public.pem");
        _ykman.Run("piv", "keys", "generate", "-m", ManagementKey, "-a", "ECCP384", "9c", publicPem);
        var csr = WorkFile("request.pem");
        _ykman.Run("piv", "certificates", "request", "-P", "123456", "-s", "CN=hw-sim request", "9c", publicPem, csr);
        var request = CertificateRequest.LoadSigningRequestPem(File.ReadAllText(csr), HashAlgorithmName.SHA256);
        Assert.Equal("CN=hw-sim request", request.SubjectName.Name);

        var certificatePem = WorkFile("certificate.pem");
        File.WriteAllText(certificatePem, TestCertificates.For(File.ReadAllText(publicPem)));
        _ykman.Run("piv", "certificates", "import", "-m", ManagementKey, "9c", certificatePem);
        Assert.Equal(File.ReadAllText(certificatePem).Trim(), _ykman.Run("piv", "certificates", "export", "9c", "-").Trim());
        _ykman.Run("piv", "certificates", "delete", "-m", ManagementKey, "9c");
        _ykman.RunFailing("piv", "certificates", "export", "9c", "-");
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("p384")]
    public void Imported_keys_sign_a_certificate(string kind)
    {
        using AsymmetricAlgorithm key = kind == "rsa" ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var keyPem = WorkFile("key.pem");
        File.WriteAllText(keyPem, key.ExportPkcs8PrivateKeyPem());
        _ykman.Run("piv", "keys", "import", "-m", ManagementKey, "--pin-policy", "ONCE", "9d", keyPem);
        Assert.Equal(KeyOrigin.Imported, Card.State.KeyIn(0x9D)!.Origin);
        var publicPem = WorkFile("public.pem");
        File.WriteAllText(publicPem, key.ExportSubjectPublicKeyInfoPem());
        _ykman.Run("piv", "certificates", "generate", "-m", ManagementKey, "-P", "123456", "-s", "CN=imported", "9d", publicPem);
        using var certificate = X509Certificate2.CreateFromPem(_ykman.Run("piv", "certificates", "export", "9d", "-"));
        TestCertificates.AssertSelfSignedVerifies(certificate);
        Assert.Contains("Failed", _ykman.RunFailing("piv", "keys", "attest", "9d", WorkFile("attestation.pem")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Keys_import_and_certificates_import_into_f9_replace_the_attestation_key()
    {
        using var attestationKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("CN=Owner attestation", attestationKey, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        using var ownerCertificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(WorkFile("f9-key.pem"), attestationKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(WorkFile("f9-cert.pem"), ownerCertificate.ExportCertificatePem());
        _ykman.Run("piv", "keys", "import", "-m", ManagementKey, "f9", WorkFile("f9-key.pem"));
        _ykman.Run("piv", "certificates", "import", "-m", ManagementKey, "f9", WorkFile("f9-cert.pem"));

        _ykman.Run("piv", "keys", "generate", "-m", ManagementKey, "-a", "RSA2048", "9e", WorkFile("public.pem"));
        _ykman.Run("piv", "keys", "attest", "9e", WorkFile("attestation.pem"));
        using var statement = X509Certificate2.CreateFromPem(File.ReadAllText(WorkFile("attestation.pem")));
        Assert.Equal("CN=Owner attestation", statement.Issuer);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ownerCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(statement), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public void Access_change_pin_puk_management_key_retries_and_unblock()
    {
        Assert.Contains("New PIN set.", _ykman.Run("piv", "access", "change-pin", "-P", "123456", "-n", "654321"));
        Assert.Contains("New PUK set.", _ykman.Run("piv", "access", "change-puk", "-p", "12345678", "-n", "87654321"));
        var aes256 = string.Concat(Enumerable.Repeat("0102030405060708", 4));
        _ykman.Run("piv", "access", "change-management-key", "-m", ManagementKey, "-n", aes256, "-a", "AES256", "--force");
        Assert.Contains("Management key algorithm: AES256", _ykman.Run("piv", "info"));
        _ykman.RunFailing("piv", "keys", "generate", "-m", ManagementKey, "-a", "ECCP256", "9e", WorkFile("public.pem"));
        _ykman.Run("piv", "keys", "generate", "-m", aes256, "-a", "ECCP256", "9e", WorkFile("public.pem"));

        _ykman.Run("piv", "access", "set-retries", "5", "4", "-m", aes256, "-P", "654321", "--force");
        Assert.Equal((5, 4), (Card.State.Pin.MaxRetries, Card.State.Puk.MaxRetries));
        for (int i = 0; i < 5; i++)
        {
            _ykman.RunFailing("piv", "access", "change-pin", "-P", "000000", "-n", "222222");
        }

        Assert.Contains("PIN tries remaining: 0/5", _ykman.Run("piv", "info"));
        Assert.Contains("PIN unblocked", _ykman.Run("piv", "access", "unblock-pin", "-p", "12345678", "-n", "111111"));
        Assert.Contains("PIN tries remaining: 5/5", _ykman.Run("piv", "info"));
    }

    [Fact]
    public void Objects_generate_export_and_import()
    {
        _ykman.Run("piv", "objects", "generate", "-m", ManagementKey, "CHUID");
        _ykman.Run("piv", "objects", "generate", "-m", ManagementKey, "CCC");
        var chuid = WorkFile("chuid.bin");
        _ykman.Run("piv", "objects", "export", "CHUID", chuid);
        Assert.Equal("30 19 D4 E7 39 DA 73 9C ED 39 CE 73 9D 83 68 58 21 08 42 10 84 21 C8 42 10 C3 EB 34 10", Hex.Format(File.ReadAllBytes(chuid)[..29]));
        var data = WorkFile("object.bin");
        File.WriteAllBytes(data, [0xCA, 0xFE]);
        _ykman.Run("piv", "objects", "import", "-m", ManagementKey, "5fc10d", data);
        Assert.Equal("CA FE", Hex.Format(Card.State.ObjectValue(0x5FC10D)!));
    }

    [Fact]
    public void Piv_reset_blocks_pin_and_puk_then_returns_piv_to_the_factory()
    {
        _ykman.Run("piv", "keys", "generate", "-m", ManagementKey, "-a", "ECCP256", "9a", WorkFile("public.pem"));
        _ykman.Run("piv", "access", "change-pin", "-P", "123456", "-n", "654321");
        Assert.Contains("Resetting PIV data...", _ykman.Run("piv", "reset", "--force"));
        Assert.Null(Card.State.KeyIn(0x9A));
        Assert.NotNull(Card.State.KeyIn(0xF9));
        var info = _ykman.Run("piv", "info");
        Assert.Contains("WARNING: Using default PIN!", info);
        Assert.Contains("PIN tries remaining: 3/3", info);
    }

    private static byte[] PublicKeyInfo(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }
}
