using KeyCustody.HwSim;
using KeyCustody.Tests.Shared;
using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Piv;

/// <summary>
/// What a signature costs at the card, counted by hw-sim behind the real pcscd + vpcd: in steady state only the
/// signature's own APDU chain, plus VERIFY where the PIN policy is "always" (Yubico's ykpiv sends the same). PIV is
/// selected again, and the session's knowledge dropped, when another PC/SC client reset the card in between; a card
/// swapped for another with the same serial brings its own policies.
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class LeanPivClientTests : IDisposable
{
    private const uint Serial = 11409355;
    private const string CorrectPin = "123456";

    /// <summary>300 bytes: two chained GENERAL AUTHENTICATE APDUs (255 + 53), as a real cross-signing payload needs.</summary>
    private static readonly byte[] Message = Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray();

    private readonly PrivatePcscd _pcscd;
    private readonly PcscRig _rig;
    private VirtualCard Card { get; }
    private readonly PivToken _token;
    private readonly Prompts _prompts = new();

    public LeanPivClientTests(PcscdFixture fixture)
    {
        _pcscd = fixture.Pcscd;
        _rig = new PcscRig(_pcscd);
        Card = _rig.Insert(Serial);
        _token = PivToken.Open(_rig.Readers, Serial);
    }

    [Theory]
    [InlineData(PinPolicy.Never, "87:2")]
    [InlineData(PinPolicy.Once, "87:2")]
    [InlineData(PinPolicy.Always, "20:1 87:2")]
    public async Task In_steady_state_a_signature_is_its_apdu_chain_plus_verify_where_the_policy_asks(PinPolicy policy, string perSignature)
    {
        var key = await Generate(policy);
        await Sign(key);
        Card.Apdus.Reset();

        for (int i = 0; i < 3; i++)
        {
            await Sign(key);
            Assert.Equal(perSignature, Counts());
            Card.Apdus.Reset();
        }

        Assert.Equal(policy == PinPolicy.Never ? 0 : policy == PinPolicy.Once ? 1 : 4, _prompts.PinRequests.Count);
    }

    [Fact]
    public async Task A_touch_key_prompts_every_time_and_costs_only_the_chain()
    {
        var key = await Generate(PinPolicy.Never, TouchPolicy.Always);
        await Sign(key);
        Card.Apdus.Reset();
        await Sign(key);
        Assert.Equal("87:2", Counts());
        Assert.Equal(2, _prompts.PresenceRequests.Count);
    }

    [Fact]
    public async Task A_second_client_that_only_uses_piv_changes_nothing()
    {
        var key = await Generate(PinPolicy.Once);
        await Sign(key);

        using (var other = KeyCustody.Tokens.Pcsc.PcscReaders.Open())
        using (var connection = other.Connect(Assert.Single(other.ReadersWithCard()))!)
        using (connection.BeginTransaction())
        {
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 A4 04 00 05 A0 00 00 03 08")).AsSpan(^2)));
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 FD 00 00")).AsSpan(^2)));
        }

        Card.Apdus.Reset();
        await Sign(key);
        Assert.Equal("87:2", Counts());
        Assert.Single(_prompts.PinRequests);
    }

    [Fact]
    public async Task After_another_client_reset_the_card_piv_is_selected_again_and_the_pin_asked_again()
    {
        var key = await Generate(PinPolicy.Once);
        await Sign(key);

        // yubico-piv-tool 2.2.0 disconnects with SCARD_RESET_CARD: the card's session (selection, verified PIN) is gone.
        var (exit, output) = ChildProcess.Run("yubico-piv-tool", ["--reader=Yubico", "-a", "version"], _pcscd.AddTo);
        Assert.True(exit == 0, output);
        Card.Apdus.Reset();

        await Sign(key);
        // SELECT, GET SERIAL (still the same card?), GET METADATA, the PIN status probe, VERIFY, the chain.
        Assert.Equal("20:2 87:2 a4:1 f7:1 f8:1", Counts());
        Assert.Equal(2, _prompts.PinRequests.Count);

        Card.Apdus.Reset();
        await Sign(key);
        Assert.Equal("87:2", Counts());
    }

    [Theory]
    [InlineData(PinPolicy.Never, "87:4 a4:1", 0)]
    [InlineData(PinPolicy.Once, "20:2 87:6 a4:1", 2)]
    public async Task After_another_client_selected_another_applet_piv_is_selected_again(PinPolicy policy, string counts, int pinRequests)
    {
        var key = await Generate(policy);
        await Sign(key);

        // Like ykman: the management applet, left selected. The card ends PIV's PIN state on the switch.
        using (var other = KeyCustody.Tokens.Pcsc.PcscReaders.Open())
        using (var connection = other.Connect(Assert.Single(other.ReadersWithCard()))!)
        using (connection.BeginTransaction())
        {
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 A4 04 00 08 A0 00 00 05 27 47 11 17")).AsSpan(^2)));
        }

        Card.Apdus.Reset();
        await Sign(key);
        // The chain the management applet refused (6D00), SELECT, the chain again; for PIN once the PIN was lost with
        // the switch: the chain refused (6982), the status probe, VERIFY, the chain.
        Assert.Equal(counts, Counts());
        Assert.Equal(pinRequests, _prompts.PinRequests.Count);

        Card.Apdus.Reset();
        await Sign(key);
        Assert.Equal("87:2", Counts());
    }

    [Fact]
    public async Task A_pin_unverified_by_another_client_is_asked_for_again()
    {
        var key = await Generate(PinPolicy.Once);
        await Sign(key);

        using (var other = KeyCustody.Tokens.Pcsc.PcscReaders.Open())
        using (var connection = other.Connect(Assert.Single(other.ReadersWithCard()))!)
        using (connection.BeginTransaction())
        {
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 20 FF 80"))));
        }

        Card.Apdus.Reset();
        await Sign(key);
        // The chain refused (6982), the status probe (not verified), VERIFY, the chain again.
        Assert.Equal("20:2 87:4", Counts());
        Assert.Equal(2, _prompts.PinRequests.Count);
    }

    [Fact]
    public async Task A_card_swapped_for_one_with_the_same_serial_brings_its_own_policies()
    {
        using var seed = Secret.Copy(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        var relaxed = await _token.ImportKeyAsync(new KeyGenerationRequest("9c", PinPolicy.Never, TouchPolicy.Never) { Overwrite = true }, seed, _prompts.With(CorrectPin));
        await Sign(relaxed);
        await Sign(relaxed);
        Assert.Empty(_prompts.PinRequests);
        Assert.Empty(_prompts.PresenceRequests);

        // The same key in a card with the same serial, but with PIN and touch always. Made in-process, then inserted.
        var strict = _rig.Create(Serial);
        using (var readers = new KeyCustody.Tokens.Simulator.HwSimReaders())
        {
            readers.Add(strict);
            using var direct = PivToken.Open(readers, Serial);
            await direct.ImportKeyAsync(new KeyGenerationRequest("9c", PinPolicy.Always, TouchPolicy.Always) { Overwrite = true }, seed, _prompts.With(CorrectPin));
        }

        Card.Unplug();
        _rig.Attach(strict);
        Assert.True(_token.WaitUntilPresent(PivRig.Patience));

        var signature = await _token.SignAsync("9c", Message, _prompts.With(CorrectPin));

        Assert.True(Ed25519Oracle.Verifies(relaxed.PublicKey, Message, signature));
        Assert.Single(_prompts.PinRequests);
        Assert.Equal(TouchPolicy.Always, Assert.Single(_prompts.PresenceRequests).TouchPolicy);
    }

    public void Dispose()
    {
        _token.Dispose();
        _rig.Dispose();
    }

    private async Task<TokenKey> Generate(PinPolicy pin, TouchPolicy touch = TouchPolicy.Never)
    {
        var key = await _token.GenerateKeyAsync(new KeyGenerationRequest("9c", pin, touch), _prompts.With(CorrectPin));
        _prompts.PinRequests.Clear();
        return key;
    }

    private async Task Sign(TokenKey key) =>
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await _token.SignAsync(key.Id, Message, _prompts.With(CorrectPin))));

    /// <summary>"INS:count" per instruction, in INS order: what the card received since the last reset of the counter.</summary>
    private string Counts() => string.Join(' ', Card.Apdus.ByInstruction().Select(entry => $"{entry.Key:x2}:{entry.Value}"));
}
