using KeyCustody.HwSim;
using KeyCustody.Tokens.OpenPgp;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Conformance;

/// <summary>
/// The OpenPGP client on hw-sim's other devices: a Nitrokey 3 (1 KiB messages, no attestation, the public key on
/// import, 63Cx for a wrong PIN) and a YubiKey 5.4.3 (Ed25519 only through OpenPGP; SELECT DATA with its length byte).
/// </summary>
public sealed class OpenPgpProfileTests : IDisposable
{
    private readonly InProcessRig _rig = new();
    private readonly Prompts _prompts = new();
    private readonly byte[] _message = "{\"user_id\":\"@alice:example.org\"}"u8.ToArray();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task A_payload_over_a_nitrokey_3s_limit_is_refused_before_the_card_is_asked_naming_the_limit()
    {
        _rig.Insert(0x1A2B3C4D, profile: CardProfile.Nitrokey3);
        var readers = new CountingReaders(_rig.Readers);
        using var token = OpenPgpToken.Open(readers, 0x1A2B3C4D);
        var key = await token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once), _prompts.With("123456"));

        int signatures = readers.Count(0x2A);
        var error = await Assert.ThrowsAsync<NotSupportedByTokenException>(() => token.SignAsync("sig", new byte[1025], _prompts.With("123456")));
        Assert.Contains("1025 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("the limit is 1024 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nitrokey 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(signatures, readers.Count(0x2A));

        var longest = Enumerable.Range(0, 1024).Select(i => (byte)i).ToArray();
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, longest, await token.SignAsync("sig", longest, _prompts.With("123456"))));
    }

    [Fact]
    public async Task A_nitrokey_3_status_import_and_no_attestation()
    {
        _rig.Insert(0x1A2B3C4D, profile: CardProfile.Nitrokey3);
        using var token = OpenPgpToken.Open(_rig.Readers, 0x1A2B3C4D);
        var status = token.GetStatus();
        Assert.Null(status.Firmware);
        Assert.Contains("Nitrokey OpenPGP 3.4", status.Description, StringComparison.Ordinal);
        Assert.Equal((3, 3), (status.PinRetriesLeft, status.AdminPinRetriesLeft));

        // opcard-rs announces Ed25519 with FF and wants the public key with the seed.
        using var seed = Secret.Copy(Enumerable.Repeat((byte)0xAB, 32).ToArray());
        var imported = await token.ImportKeyAsync(new KeyGenerationRequest("aut", PinPolicy.Once), seed, _prompts.With("123456"));
        Assert.Equal("248acbdbaf9e050196de704bea2d68770e519150d103b587dae2d9cad53dd930", imported.PublicKeyHex);
        Assert.True(Ed25519Oracle.Verifies(imported.PublicKey, _message, await token.SignAsync("aut", _message, _prompts.With("123456"))));

        await token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once), _prompts.With("123456"));
        Assert.Throws<NotSupportedByTokenException>(() => token.Attest("sig"));

        // A wrong PIN: opcard names the attempts (63 C2) itself.
        var wrong = await Assert.ThrowsAsync<PinIncorrectException>(() => token.SignAsync("sig", _message, new Prompts().With("654321")));
        Assert.Equal(2, wrong.RetriesLeft);
    }

    [Fact]
    public async Task The_touch_prompt_names_a_nitrokey_from_its_aid_manufacturer()
    {
        _rig.Insert(0x1A2B3C4E, profile: CardProfile.Nitrokey3);
        using var token = OpenPgpToken.Open(_rig.Readers, 0x1A2B3C4E);
        using var seed = Secret.Copy(Enumerable.Repeat((byte)0xCD, 32).ToArray());
        var key = await token.ImportKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Always, TouchPolicy.Always), seed, _prompts.With("123456"));
        Assert.Equal(TouchPolicy.Always, key.TouchPolicy);
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, _message, await token.SignAsync("sig", _message, _prompts.With("123456"))));
        var prompt = Assert.Single(_prompts.PresenceRequests);
        Assert.Equal(("Nitrokey", "439041102"), (prompt.Device, prompt.TokenSerial));
    }

    [Fact]
    public async Task A_yubikey_543_attests_through_its_select_data_form()
    {
        _rig.Insert(5439532, profile: CardProfile.YubiKey543);
        var readers = new CountingReaders(_rig.Readers);
        using var token = OpenPgpToken.Open(readers, 5439532);
        Assert.Equal(new Version(5, 4, 3), token.Firmware);
        var key = await token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Always, TouchPolicy.Always), _prompts.With("123456"));
        Assert.Equal(PinPolicy.Always, key.PinPolicy);
        var attestation = token.Attest("sig");
        using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(attestation.Certificate);
        Assert.Equal(key.PublicKey, leaf.PublicKey.EncodedKeyValue.RawData);
        Assert.True(readers.Count(0xA5) >= 1);
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, _message, await token.SignAsync("sig", _message, _prompts.With("123456"))));
    }

    [Theory]
    [InlineData("yubikey-5.4.3", 0)]
    [InlineData("yubikey-5.7", 1)]
    public async Task The_pin_given_to_attest_is_unverified_only_where_the_card_knows_verify_ff_and_nothing_counts_on_it(string profile, int unverifies)
    {
        _rig.Insert(5439533, profile: CardProfile.Parse(profile));
        var readers = new CountingReaders(_rig.Readers);
        using var token = OpenPgpToken.Open(readers, 5439533);
        var key = await token.GenerateKeyAsync(new KeyGenerationRequest("aut", PinPolicy.Once, TouchPolicy.Never), _prompts.With("123456"));
        Assert.NotNull(token.Attest("aut"));

        // ykman sends VERIFY FF only to firmware 5.6+: a 5.4.3 keeps PW1 verified, so the client sends it nothing it refuses.
        Assert.Equal(unverifies, readers.Count(0x20, 0xFF));

        // Either way the client takes the PIN for not verified: the first signature asks for it, the next ones do not.
        _prompts.PinRequests.Clear();
        for (int i = 0; i < 2; i++)
        {
            Assert.True(Ed25519Oracle.Verifies(key.PublicKey, _message, await token.SignAsync("aut", _message, _prompts.With("123456"))));
        }

        Assert.Single(_prompts.PinRequests);
    }
}
