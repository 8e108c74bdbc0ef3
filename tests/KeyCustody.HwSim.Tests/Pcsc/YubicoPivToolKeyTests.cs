using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Debian's yubico-piv-tool 2.2.0 (algorithms RSA1024, RSA2048, ECCP256, ECCP384; 3DES management key) against the
/// simulator behind pcscd: what the tool does with RSA and P-384 keys, key import, objects and settings.
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class YubicoPivToolKeyTests : CardBehindPcscd
{
    private readonly CommandLineTool _tool;

    public YubicoPivToolKeyTests(PcscdFixture fixture)
        : base(fixture, TestCards.Create(serial: 5550004, mgm: ManagementKeyAlgorithm.TripleDes))
    {
        _tool = YubicoPivToolTests.YubicoPivTool(Pcscd);
    }

    [Fact]
    public void The_default_generate_is_rsa_2048_and_test_signature_test_decipher_and_attest_pass()
    {
        var publicPem = WorkFile("rsa.pem");
        int generations = CountInPcscdLog("00 47 00 9A 05 AC 03 80 01 07");
        int operations = CountInPcscdLog("10 87 07 9A");
        Assert.Contains("Successfully generated a new private key.", Run("-a", "generate", "-s", "9a", "-o", publicPem));
        using (var publicKey = RSA.Create())
        {
            publicKey.ImportFromPem(File.ReadAllText(publicPem));
            Assert.Equal(2048, publicKey.KeySize);
        }

        Assert.Equal(generations + 1, CountInPcscdLog("00 47 00 9A 05 AC 03 80 01 07"));
        var certificate = ImportCertificateFor(publicPem, "9a");
        Assert.Contains("Successful RSA verification.", _tool.RunWithInput(certificate, Key("-a", "verify-pin", "-P", "123456", "-a", "test-signature", "-s", "9a")));
        Assert.Contains("Successfully performed RSA decryption!", _tool.RunWithInput(certificate, Key("-a", "verify-pin", "-P", "123456", "-a", "test-decipher", "-s", "9a")));
        Assert.Equal(operations + 2, CountInPcscdLog("10 87 07 9A"));

        using var statement = X509Certificate2.CreateFromPem(Run("-a", "attest", "-s", "9a"));
        Assert.Equal("CN=YubiKey PIV Attestation 9a", statement.Subject);
        Assert.Equal(2048, statement.GetRSAPublicKey()!.KeySize);
        TestCertificates.AssertAttestedBy(Card, statement);

        // As with ECC keys (YubicoPivToolTests): 2.2.0 cannot sign a certificate under OpenSSL 3; nothing reaches the card.
        int before = CountInPcscdLog("10 87 07 9A");
        Assert.Contains("Failed signing certificate.", RunFailing(
            "-a", "verify-pin", "-P", "123456", "-a", "selfsign-certificate", "-s", "9a", "-S", "/CN=hw-sim/", "-i", publicPem, "-o", WorkFile("self.pem")));
        Assert.Equal(before, CountInPcscdLog("10 87 07 9A"));
    }

    [Fact]
    public void Eccp384_signs_and_does_ecdh_through_test_signature_and_test_decipher()
    {
        var publicPem = WorkFile("p384.pem");
        int agreements = CountInPcscdLog("00 87 14 9D 67 7C 65 82 00 85 61 04");
        Assert.Contains("Successfully generated a new private key.", Run("-a", "generate", "-s", "9d", "-A", "ECCP384", "-o", publicPem));
        var certificate = ImportCertificateFor(publicPem, "9d");
        Assert.Contains("Successful ECDSA verification.", _tool.RunWithInput(certificate, Key("-a", "verify-pin", "-P", "123456", "-a", "test-signature", "-s", "9d")));
        Assert.Contains("Successfully performed ECDH exchange with card.", _tool.RunWithInput(certificate, Key("-a", "verify-pin", "-P", "123456", "-a", "test-decipher", "-s", "9d")));
        Assert.Equal(agreements + 1, CountInPcscdLog("00 87 14 9D 67 7C 65 82 00 85 61 04"));
    }

    [Fact]
    public void Rsa1024_is_generated_as_on_a_non_fips_5_7_with_the_tools_warning()
    {
        var output = Run("-a", "generate", "-s", "9c", "-A", "RSA1024", "-o", WorkFile("rsa1024.pem"));
        Assert.Contains("The use of RSA1024 is discouraged", output);
        Assert.Contains("Successfully generated a new private key.", output);
        Assert.Equal(0x06, (int)Card.State.KeyIn(0x9C)!.Algorithm);
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("p384")]
    public void Imported_keys_pass_test_signature(string kind)
    {
        using AsymmetricAlgorithm key = kind == "rsa" ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var keyPem = WorkFile("key.pem");
        File.WriteAllText(keyPem, key.ExportPkcs8PrivateKeyPem());
        Assert.Contains("Successfully imported a new private key.", Run("-a", "import-key", "-s", "9e", "-i", keyPem, "--pin-policy=once"));
        Assert.Equal(KeyOrigin.Imported, Card.State.KeyIn(0x9E)!.Origin);
        var publicPem = WorkFile("public.pem");
        File.WriteAllText(publicPem, key.ExportSubjectPublicKeyInfoPem());
        var certificate = ImportCertificateFor(publicPem, "9e");
        Assert.Contains(kind == "rsa" ? "Successful RSA verification." : "Successful ECDSA verification.",
            _tool.RunWithInput(certificate, Key("-a", "verify-pin", "-P", "123456", "-a", "test-signature", "-s", "9e")));
    }

    [Fact]
    public void Pin_retries_chuid_ccc_and_status()
    {
        Assert.Contains("Successfully changed pin retries to 5 and puk retries to 4",
            Run("-a", "verify-pin", "-P", "123456", "-a", "pin-retries", "--pin-retries", "5", "--puk-retries", "4"));
        Assert.Equal((5, 4), (Card.State.Pin.MaxRetries, Card.State.Puk.MaxRetries));
        Assert.Contains("Successfully set new CHUID.", Run("-a", "set-chuid"));
        Assert.Contains("Successfully set new CCC.", Run("-a", "set-ccc"));
        var status = Run("-a", "status");
        Assert.Contains("PIN tries left:\t5", status);
        Assert.Matches("CHUID:\t3019d4e739da739ced39ce739d836858210842108421c84210c3eb34[0-9a-f]+", status);
        Assert.Matches("CCC:\tf015a000000116ff02[0-9a-f]+", status);
    }

    [Fact]
    public void Write_object_read_object_and_delete_certificate()
    {
        var data = WorkFile("object.bin");
        File.WriteAllBytes(data, [0x53, 0x04, 0xDE, 0xAD, 0xBE, 0xEF]);
        Run("-a", "write-object", "--id", "0x5fc10d", "-f", "binary", "-i", data);
        Assert.Contains("53 04 de ad be ef".Replace(" ", "", StringComparison.Ordinal), Run("-a", "read-object", "--id", "0x5fc10d").Replace(" ", "", StringComparison.Ordinal));

        Run("-a", "generate", "-s", "9a", "-A", "ECCP256", "-o", WorkFile("p256.pem"));
        ImportCertificateFor(WorkFile("p256.pem"), "9a");
        Assert.NotNull(Card.State.ObjectValue(0x5FC105));
        Run("-a", "delete-certificate", "-s", "9a");
        Assert.Null(Card.State.ObjectValue(0x5FC105));
        RunFailing("-a", "read-certificate", "-s", "9a");
    }

    [Fact]
    public void List_readers_shows_both_vpcd_slots() =>
        Assert.Contains("Yubico YubiKey OTP+FIDO+CCID 00 01", _tool.Run("-a", "list-readers"));

    private string ImportCertificateFor(string publicPem, string slot)
    {
        var certificate = TestCertificates.For(File.ReadAllText(publicPem));
        var file = WorkFile($"cert-{slot}.pem");
        File.WriteAllText(file, certificate);
        Assert.Contains("Successfully imported a new certificate.", Run("-a", "import-certificate", "-s", slot, "-i", file));
        return certificate;
    }

    private string Run(params string[] arguments) => _tool.Run(Key(arguments));

    private string RunFailing(params string[] arguments) => _tool.RunFailing(Key(arguments));

    private static string[] Key(params string[] arguments) => ["--key=" + YubicoPivToolTests.DefaultKey, .. arguments];
}
