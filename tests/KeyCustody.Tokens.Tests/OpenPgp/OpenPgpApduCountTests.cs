using KeyCustody.HwSim;
using KeyCustody.Tests.Shared;
using KeyCustody.Tokens.OpenPgp;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.OpenPgp;

/// <summary>
/// What an OpenPGP signature costs at the card, counted by hw-sim behind the real pcscd + vpcd, and what the client
/// remembers of the PIN: in steady state SELECT and the signature; with PIN 'once' the PIN is verified once per card
/// session, also on a YubiKey 5.4.3 that does not answer the empty VERIFY probe (6A80); it is asked again after another
/// client reset the card or unverified it. SELECT is never skipped: a VERIFY 81 that reached the PIV applet would be
/// tried against its PUK.
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class OpenPgpApduCountTests : IDisposable
{
    private const uint Serial = 5439532;
    private const string CorrectPin = "123456";
    private static readonly byte[] Message = Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray();

    private readonly PrivatePcscd _pcscd;
    private readonly PcscRig _rig;
    private readonly Prompts _prompts = new();
#pragma warning disable CA2213 // The rig disposes its cards.
    private VirtualCard _card = null!;
#pragma warning restore CA2213
    private OpenPgpToken _token = null!;

    public OpenPgpApduCountTests(PcscdFixture fixture)
    {
        _pcscd = fixture.Pcscd;
        _rig = new PcscRig(_pcscd);
    }

    public void Dispose()
    {
        _token?.Dispose();
        _rig.Dispose();
    }

    [Theory]
    [InlineData("yubikey-5.4.3", "sig", PinPolicy.Once, "2a:1 a4:1")]
    [InlineData("yubikey-5.7", "sig", PinPolicy.Once, "2a:1 a4:1")]
    [InlineData("yubikey-5.4.3", "aut", PinPolicy.Once, "88:1 a4:1")]
    [InlineData("yubikey-5.4.3", "sig", PinPolicy.Always, "20:1 2a:1 a4:2 ca:1")]
    public async Task In_steady_state_select_and_the_signature_and_verify_where_the_pin_is_per_signature(string profile, string keyId, PinPolicy policy, string perSignature)
    {
        var key = await Start(profile, keyId, policy);
        for (int i = 0; i < 3; i++)
        {
            await Sign(key);
        }

        Assert.Equal(policy == PinPolicy.Always ? 3 : 1, _prompts.PinRequests.Count);
        _card.Apdus.Reset();
        await Sign(key);
        Assert.Equal(perSignature, Counts());
    }

    [Fact]
    public async Task After_another_client_reset_the_card_the_pin_is_asked_again()
    {
        var key = await Start("yubikey-5.4.3", "aut", PinPolicy.Once);
        await Sign(key);
        await Sign(key);
        Assert.Single(_prompts.PinRequests);

        // yubico-piv-tool 2.2.0 disconnects with SCARD_RESET_CARD: the card's session (selection, verified PINs) is gone.
        var (exit, output) = ChildProcess.Run("yubico-piv-tool", ["--reader=Yubico", "-a", "version"], _pcscd.AddTo);
        Assert.True(exit == 0, output);
        _card.Apdus.Reset();
        await Sign(key);

        // After a reset nothing read before holds: SELECT, 6E (and its GET RESPONSE), the KDF-DO, the public key, C4 for
        // the attempts; then SELECT, VERIFY, the signature. No probe: this card does not know it.
        Assert.Equal(2, _prompts.PinRequests.Count);
        Assert.Equal("20:1 47:1 88:1 a4:2 c0:1 ca:3", Counts());
    }

    [Fact]
    public async Task A_pin_another_client_unverified_is_asked_for_again_once()
    {
        var key = await Start("yubikey-5.7", "aut", PinPolicy.Once);
        await Sign(key);
        using (var other = KeyCustody.Tokens.Pcsc.PcscReaders.Open())
        using (var connection = other.Connect(Assert.Single(other.ReadersWithCard()))!)
        using (connection.BeginTransaction())
        {
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 A4 04 00 06 D2 76 00 01 24 01"))));
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 20 FF 82"))));
        }

        _card.Apdus.Reset();
        await Sign(key);

        // Refused (6982), then: SELECT, the probe (not verified), C4, PIN asked, SELECT, VERIFY, the signature.
        Assert.Equal(2, _prompts.PinRequests.Count);
        Assert.Equal("20:2 88:2 a4:3 ca:1", Counts());
    }

    private async Task<TokenKey> Start(string profile, string keyId, PinPolicy policy)
    {
        _card = _rig.Insert(Serial, profile: CardProfile.Parse(profile));
        _token = OpenPgpToken.Open(_rig.Readers, Serial);
        var key = await _token.GenerateKeyAsync(new KeyGenerationRequest(keyId, policy, TouchPolicy.Never), _prompts.With(CorrectPin));
        _prompts.PinRequests.Clear();
        return key;
    }

    private async Task Sign(TokenKey key) =>
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await _token.SignAsync(key.Id, Message, _prompts.With(CorrectPin))));

    /// <summary>"INS:count" per instruction, in INS order: what the card received since the counter was reset.</summary>
    private string Counts() => string.Join(' ', _card.Apdus.ByInstruction().Select(entry => $"{entry.Key:x2}:{entry.Value}"));
}
