using KeyCustody.HwSim.Applet;
using KeyCustody.Tests.Shared;
using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Pkcs11;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// Debian's ykcs11 2.2.0, Yubico's PKCS#11 module for PIV, in this process, against hw-sim behind the real pcscd + vpcd:
/// the object layout SoftHSM2 imitates in PairedByIdTests (labels per slot differing between the halves, CKA_ID 01 for
/// 9a, 02 for 9c, 03 for 9d, CKA_ALWAYS_AUTHENTICATE on 9c's private key), the names our token resolves through it, and
/// what it says about 2.2.0, which cannot read Ed25519 keys (2.6.1+ can; its vendor attributes for PIN and touch policy
/// came in 2.3.0 and were checked by hand against hw-sim with a 2.7.2 built from Yubico's sources).
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class Ykcs11Tests : IDisposable
{
    private const string Module = "/usr/lib/x86_64-linux-gnu/libykcs11.so";
    private const uint Serial = 11409355;
    private const string Pin = "123456";

    private readonly PrivatePcscd _pcscd;
    private readonly PcscRig _rig;
    private readonly Prompts _prompts = new();

    public Ykcs11Tests(PcscdFixture fixture)
    {
        Assert.True(File.Exists(Module), $"{Module} is missing: run scripts/ensure-deps.sh (ykcs11)");
        _pcscd = fixture.Pcscd;
        _rig = new PcscRig(_pcscd);

        // 3DES: yubico-piv-tool 2.2.0 authenticates with nothing else.
        _rig.Insert(Serial, managementKey: ManagementKeyAlgorithm.TripleDes);
        using (var piv = PivToken.Open(_rig.Readers, Serial))
        {
            piv.GenerateKeyAsync(new KeyGenerationRequest("9c"), _prompts.With(Pin)).GetAwaiter().GetResult();
            piv.GenerateKeyAsync(new KeyGenerationRequest("9a", PinPolicy.Once, TouchPolicy.Always), _prompts.With(Pin)).GetAwaiter().GetResult();
        }

        var (exit, output) = ChildProcess.Run("yubico-piv-tool", ["--reader=Yubico", "-a", "generate", "-s", "9d", "-A", "ECCP256"], _pcscd.AddTo);
        Assert.True(exit == 0, output);
    }

    [Fact]
    public void The_layout_is_what_the_softhsm_imitation_assumes()
    {
        var objects = Ykcs11Objects();
        Assert.Equal(("02", true), objects["Private key for Digital Signature"]);
        Assert.Equal(("02", false), objects["Public key for Digital Signature"]);
        Assert.Equal(("01", false), objects["Private key for PIV Authentication"]);
        Assert.Equal(("01", false), objects["Public key for PIV Authentication"]);
        Assert.Equal(("03", false), objects["Private key for Key Management"]);
        Assert.Equal(("03", false), objects["Public key for Key Management"]);
    }

    [Fact]
    public async Task Our_token_finds_the_pairs_by_slot_id_and_label_and_says_what_2_2_cannot_do()
    {
        using var token = Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = Module, TokenSerial = Serial.ToString() });

        var status = token.GetStatus();
        Assert.Equal(Serial.ToString(), status.Serial);
        Assert.Equal("5.71", status.Firmware?.ToString());
        Assert.Contains("YubiKey", status.Description, StringComparison.Ordinal);

        // The Ed25519 key in 9c exists (CKA_ID 02), but ykcs11 2.2.0 cannot tell its type.
        foreach (var name in new[] { "slot:9c", "id:02", "Public key for Digital Signature" })
        {
            var error = Assert.Throws<NotSupportedByTokenException>(() => token.GetKey(name));
            Assert.Contains("ykcs11 2.2.0", error.Message, StringComparison.Ordinal);
            Assert.Contains("2.6.1", error.Message, StringComparison.Ordinal);
        }

        // The P-256 key in 9d: the slot, the id and the label all reach it, and it is named for what it is.
        foreach (var name in new[] { "slot:9d", "id:03", "label:Public key for Key Management" })
        {
            Assert.Contains("EC (ECDSA/ECDH)", Assert.Throws<KeyNotFoundOnTokenException>(() => token.GetKey(name)).Message, StringComparison.Ordinal);
        }

        Assert.Contains("slot:9e", Assert.Throws<KeyNotFoundOnTokenException>(() => token.GetKey("slot:9e")).Message, StringComparison.Ordinal);

        // After login the private half's label finds the public half by CKA_ID.
        await token.LoginAsync(_prompts.With(Pin));
        Assert.Contains("EC (ECDSA/ECDH)", Assert.Throws<KeyNotFoundOnTokenException>(() => token.GetKey("Private key for Key Management")).Message, StringComparison.Ordinal);
        Assert.Empty(token.ListKeys());
        Assert.Contains("ykcs11", (await Assert.ThrowsAsync<NotSupportedByTokenException>(() =>
            token.GenerateKeyAsync(new KeyGenerationRequest("slot:9e"), _prompts.With(Pin)))).Message, StringComparison.Ordinal);
    }

    public void Dispose() => _rig.Dispose();

    /// <summary>Every key object as OpenSC's pkcs11-tool lists it through ykcs11 (another client): label → (CKA_ID, always authenticate).</summary>
    private Dictionary<string, (string Id, bool AlwaysAuthenticate)> Ykcs11Objects()
    {
        var (exit, output) = ChildProcess.Run("pkcs11-tool", ["--module", Module, "--login", "--pin", Pin, "--list-objects"], _pcscd.AddTo);
        Assert.True(exit == 0, output);
        var objects = new Dictionary<string, (string, bool)>(StringComparer.Ordinal);
        foreach (var block in output.Split(["Private Key Object", "Public Key Object"], StringSplitOptions.None).Skip(1))
        {
            var lines = block.Split('\n').Select(line => line.Trim()).ToList();
            var label = lines.First(line => line.StartsWith("label:", StringComparison.Ordinal))["label:".Length..].Trim();
            var id = lines.First(line => line.StartsWith("ID:", StringComparison.Ordinal))["ID:".Length..].Trim();
            var access = lines.FirstOrDefault(line => line.StartsWith("Access:", StringComparison.Ordinal)) ?? string.Empty;
            objects[label] = (id, access.Contains("always authenticate", StringComparison.Ordinal));
        }

        return objects;
    }
}
