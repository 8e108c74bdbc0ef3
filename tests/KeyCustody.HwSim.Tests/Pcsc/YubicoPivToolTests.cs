using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Tests.Support;
using KeyCustody.HwSim.Transport;
using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// Yubico's own yubico-piv-tool (Debian 12: 2.2.0, 3DES management key only) against the simulator behind pcscd.
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class YubicoPivToolTests : IDisposable
{
    internal const string DefaultKey = "010203040506070801020304050607080102030405060708";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly PrivatePcscd _pcscd;
    private readonly VirtualCard _card = TestCards.Create(serial: 5550002, mgm: ManagementKeyAlgorithm.TripleDes);
    private readonly VpcdTransport _transport;
    private readonly string _work = Directory.CreateTempSubdirectory("hwsim-ykpiv-").FullName;
    private readonly CommandLineTool _tool;

    public YubicoPivToolTests(PcscdFixture fixture)
    {
        _pcscd = fixture.Pcscd;
        _tool = YubicoPivTool(_pcscd);
        _transport = new VpcdTransport(_card, _pcscd.Endpoint(1));
        _transport.Start();
        using var client = new PcscClient();
        Assert.True(client.WaitUntilPresent(PrivatePcscd.ReaderName(1), Patience), "pcscd did not see the card");
    }

    [Fact]
    public void Version_and_status()
    {
        Assert.Contains("Application version 5.7.1 found.", Run("-a", "version"));
        var status = Run("-a", "status");
        Assert.Contains("Serial Number:\t5550002", status);
        Assert.Contains("PIN tries left:\t3", status);
        Assert.Contains("CHUID:\tNo data available", status);
    }

    [Fact]
    public void Verify_pin_counts_down_blocks_and_unblock_pin_restores()
    {
        Assert.Contains("Successfully verified PIN.", Run("-a", "verify-pin", "-P", "123456"));
        Assert.Contains("2 tries left", RunFailing("-a", "verify-pin", "-P", "000000"));
        Assert.Contains("1 tries left", RunFailing("-a", "verify-pin", "-P", "000000"));
        Assert.Contains("blocked", RunFailing("-a", "verify-pin", "-P", "000000"));
        Assert.Contains("blocked", RunFailing("-a", "verify-pin", "-P", "123456"));
        Assert.Contains("Successfully unblocked the pin code.", Run("-a", "unblock-pin", "-P", "12345678", "-N", "135790"));
        Assert.Contains("Successfully verified PIN.", Run("-a", "verify-pin", "-P", "135790"));
    }

    [Fact]
    public void Change_pin_and_change_puk()
    {
        Assert.Contains("Successfully changed the pin code.", Run("-a", "change-pin", "-P", "123456", "-N", "246810"));
        Assert.Contains("Successfully verified PIN.", Run("-a", "verify-pin", "-P", "246810"));
        Assert.Contains("Successfully changed the puk code.", Run("-a", "change-puk", "-P", "12345678", "-N", "87654321"));
        RunFailing("-a", "unblock-pin", "-P", "12345678", "-N", "123456");
        Assert.Contains("Successfully unblocked the pin code.", Run("-a", "unblock-pin", "-P", "87654321", "-N", "123456"));
    }

    [Fact]
    public void Set_mgm_key_replaces_the_3des_key()
    {
        const string newKey = "1112131415161718212223242526272831323334353637AB";
        Assert.Contains("Successfully set new management key.", Run("-a", "set-mgm-key", "-n", newKey));
        RunFailing("-a", "generate", "-s", "9a", "-A", "ECCP256", "-o", Path.Combine(_work, "pub.pem"));
        Run("--key=" + newKey, "-a", "generate", "-s", "9a", "-A", "ECCP256", "-o", Path.Combine(_work, "pub.pem"));
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", File.ReadAllText(Path.Combine(_work, "pub.pem")), StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_import_read_test_signature_and_attest()
    {
        var publicPem = Path.Combine(_work, "pub.pem");
        Assert.Contains("Successfully generated a new private key.", Run("-a", "generate", "-s", "9a", "-A", "ECCP256", "-o", publicPem));

        // Debian's 2.2.0 signs certificates through a legacy EC_KEY_METHOD hook that OpenSSL 3 never calls:
        // it fails before any GENERAL AUTHENTICATE reaches the card. If this starts passing, update hw-sim/README.md.
        int signaturesBefore = CountInPcscdLog("APDU: 00 87 11 9A");
        Assert.Contains("Failed signing certificate.", RunFailing(
            "-a", "verify-pin", "-P", "123456", "-a", "selfsign-certificate", "-s", "9a", "-S", "/CN=hw-sim/", "-i", publicPem, "-o", Path.Combine(_work, "self.pem")));
        Assert.Equal(signaturesBefore, CountInPcscdLog("APDU: 00 87 11 9A"));

        var certificatePem = Path.Combine(_work, "cert.pem");
        File.WriteAllText(certificatePem, TestCertificates.For(File.ReadAllText(publicPem)));
        Assert.Contains("Successfully imported a new certificate.", Run("-a", "import-certificate", "-s", "9a", "-i", certificatePem));
        Assert.Equal(File.ReadAllText(certificatePem).Trim(), Run("-a", "read-certificate", "-s", "9a").Trim());
        Assert.Contains("Successful ECDSA verification.", RunWithInput(certificatePem, "-a", "verify-pin", "-P", "123456", "-a", "test-signature", "-s", "9a"));
        Assert.True(CountInPcscdLog("APDU: 00 87 11 9A") > signaturesBefore);

        using var attestation = X509Certificate2.CreateFromPem(Run("-a", "attest", "-s", "9a"));
        Assert.Equal("CN=YubiKey PIV Attestation 9a", attestation.Subject);
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(File.ReadAllText(publicPem));
        Assert.Equal(publicKey.ExportSubjectPublicKeyInfo(), attestation.PublicKey.ExportSubjectPublicKeyInfo());
        var f9 = _card.State.ObjectValue(DataObjectIds.AttestationCertificate)!;
        using var intermediate = X509CertificateLoader.LoadCertificate(SimpleTlv.Read(f9).Value);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TestCards.Root.Certificate);
        chain.ChainPolicy.ExtraStore.Add(intermediate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(attestation));
    }

    [Fact]
    public void Reset_after_blocking_pin_and_puk()
    {
        Assert.Contains("Reset failed", RunFailing("-a", "reset"));
        for (int i = 0; i < 3; i++)
        {
            RunFailing("-a", "verify-pin", "-P", "000000");
            RunFailing("-a", "unblock-pin", "-P", "00000000", "-N", "123456");
        }

        Assert.Contains("Successfully reset the application.", Run("-a", "reset"));
        Assert.Contains("Successfully verified PIN.", Run("-a", "verify-pin", "-P", "123456"));
    }

    public void Dispose()
    {
        _transport.Dispose();
        _card.Dispose();
        using var client = new PcscClient();
        Assert.True(client.WaitUntilAbsent(PrivatePcscd.ReaderName(1), Patience), "pcscd did not notice the card leaving");
        Directory.Delete(_work, recursive: true);
    }

    /// <summary>yubico-piv-tool on reader slot 1 with the default 3DES management key (unless a test gives --key).</summary>
    internal static CommandLineTool YubicoPivTool(PrivatePcscd pcscd) => new(pcscd, "/usr/bin/yubico-piv-tool", ["--reader=CCID 00 01"]);

    private string Run(params string[] arguments) => _tool.Run(WithKey(arguments));

    private string RunFailing(params string[] arguments) => _tool.RunFailing(WithKey(arguments));

    private string RunWithInput(string stdinFile, params string[] arguments) => _tool.RunWithInput(File.ReadAllText(stdinFile), WithKey(arguments));

    private static string[] WithKey(string[] arguments) =>
        arguments.Any(a => a.StartsWith("--key=", StringComparison.Ordinal)) ? arguments : ["--key=" + DefaultKey, .. arguments];

    private int CountInPcscdLog(string text) =>
        File.ReadAllText(_pcscd.LogPath).Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));
}
