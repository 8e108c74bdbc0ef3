using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim;
using KeyCustody.HwSim.Touch;
using KeyCustody.Tokens.OpenPgp;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Conformance;

/// <summary>
/// The conformance suite for OpenPGP cards against hw-sim's OpenPGP applet, plus what the card itself brings: touch
/// (UIF), the PIN rules with PW1's and PW3's counters, removal, two cards by the serial in their AID, attestation to
/// the simulator root, import, refusals (RSA in a Matrix key's slot, PIN 'never'), the signature counter and the
/// message limit. Runs in-process and through the real pcscd + vpcd, on a YubiKey 5.7 (both applets, the firmware
/// that can also reset the PIN's verification) unless a test says otherwise.
/// </summary>
public abstract class OpenPgpConformanceTests : TokenConformanceTests
{
    protected const uint Serial = 23852774;
    private const uint OtherSerial = 11409355;
    private readonly OpenPgpToken _token;

    private protected OpenPgpConformanceTests(PivRig rig, CardProfile? profile = null)
    {
        Rig = rig;
        Card = rig.Insert(Serial, profile: profile ?? CardProfile.YubiKey57);
        Readers = new CountingReaders(rig.Readers);
        _token = OpenPgpToken.Open(Readers, Serial);
    }

    protected PivRig Rig { get; }

    protected VirtualCard Card { get; }

    internal CountingReaders Readers { get; }

    protected OpenPgpToken OpenPgp => _token;

    protected override ISigningToken Token => _token;

    protected override string CorrectPin => "123456";

    protected override string WrongPin => "654321";

    protected override int? InitialRetries => 3;

    protected override PinPolicy LeastPinPolicy => PinPolicy.Once;

    /// <summary>Two keys can sign: sig and aut; "dec" is the card's third key, which never signs.</summary>
    protected override string KeyId(int index) => index switch
    {
        0 => "sig",
        1 => "aut",
        _ => "dec",
    };

    [Fact]
    public void Status_reports_the_card_its_counters_and_firmware()
    {
        var status = Token.GetStatus();
        Assert.Equal("openpgp", status.Kind);
        Assert.Equal(Serial.ToString(System.Globalization.CultureInfo.InvariantCulture), status.Serial);
        Assert.Equal(new Version(5, 7, 1), status.Firmware);
        Assert.Equal(3, status.PinRetriesLeft);
        Assert.Equal(3, status.AdminPinRetriesLeft);
        Assert.Equal(0, status.SignatureCounter);
        Assert.Contains("YubiKey OpenPGP 3.4", status.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_signature_counter_counts_signature_key_uses_only()
    {
        await Generate(0, PinPolicy.Once);
        await Generate(1, PinPolicy.Once);
        for (int i = 0; i < 2; i++)
        {
            await Token.SignAsync("sig", Message, Prompts.With(CorrectPin));
            await Token.SignAsync("aut", Message, Prompts.With(CorrectPin));
        }

        Assert.Equal(2, Token.GetStatus().SignatureCounter);
    }

    [Fact]
    public async Task Touch_the_presence_hook_fires_before_the_card_waits()
    {
        var key = await Generate(0, PinPolicy.Once, TouchPolicy.Always);
        Assert.Equal(TouchPolicy.Always, key.TouchPolicy);
        int requestsBefore = Card.Button.Requests;
        var observed = new List<(bool Waiting, int Requests)>();
        Prompts.OnPresence = _ => observed.Add((Card.Button.IsWaiting, Card.Button.Requests));

        var signature = await Token.SignAsync("sig", Message, Prompts.With(CorrectPin));

        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
        var prompt = Assert.Single(Prompts.PresenceRequests);
        Assert.Equal((false, requestsBefore), Assert.Single(observed));
        Assert.Equal(requestsBefore + 1, Card.Button.Requests);
        Assert.Equal(("sign", "sig", Serial.ToString(System.Globalization.CultureInfo.InvariantCulture), "YubiKey"), (prompt.Operation, prompt.KeyId, prompt.TokenSerial, prompt.Device));
    }

    [Fact]
    public async Task Cached_touch_and_no_hook_without_touch()
    {
        Assert.Equal(TouchPolicy.Cached, (await Generate(1, PinPolicy.Once, TouchPolicy.Cached)).TouchPolicy);
        await Generate(0, PinPolicy.Once, TouchPolicy.Never);
        await Token.SignAsync("sig", Message, Prompts.With(CorrectPin));
        Assert.Empty(Prompts.PresenceRequests);
    }

    [Fact]
    public async Task Touch_timeout_is_its_own_error_and_costs_no_pin_attempt()
    {
        await Generate(0, PinPolicy.Always, TouchPolicy.Always);
        Card.Button.Configure(TouchMode.Never, timeout: TimeSpan.FromMilliseconds(300));
        var error = await Assert.ThrowsAsync<TouchTimeoutException>(() => Token.SignAsync("sig", Message, Prompts.With(CorrectPin)));
        Assert.Contains("touch", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Single(Prompts.PresenceRequests);
        Assert.Equal(3, Token.GetStatus().PinRetriesLeft);
        Card.Button.Configure(TouchMode.Auto);
        await Token.SignAsync("sig", Message, Prompts.With(CorrectPin));
    }

    [Fact]
    public async Task Cancelled_before_the_touch_never_reaches_the_card()
    {
        await Generate(1, PinPolicy.Once, TouchPolicy.Always);
        Card.Button.Configure(TouchMode.Manual);
        int requestsBefore = Card.Button.Requests;
        int authenticationsBefore = Readers.Count(0x88);
        using var cancellation = new CancellationTokenSource();
        Prompts.OnPresence = _ => cancellation.Cancel();

        var error = await Assert.ThrowsAsync<TokenOperationCancelledException>(() => Token.SignAsync("aut", Message, Prompts.With(CorrectPin), cancellation.Token));

        Assert.Contains("nothing was signed", error.Message, StringComparison.Ordinal);
        Assert.Equal(requestsBefore, Card.Button.Requests);
        Assert.Equal(authenticationsBefore, Readers.Count(0x88));
    }

    [Fact]
    public async Task Blocked_pin_is_never_tried_without_the_override_and_is_reported()
    {
        await Generate(0, PinPolicy.Always);
        Assert.Equal(2, (await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync("sig", Message, Prompts.With(WrongPin)))).RetriesLeft);
        Assert.Equal(1, (await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync("sig", Message, Prompts.With(WrongPin)))).RetriesLeft);
        Assert.Equal(2, Prompts.PinRequests.Count);

        var refused = await Assert.ThrowsAsync<PinAttemptRefusedException>(() => Token.SignAsync("sig", Message, Prompts.With(CorrectPin)));
        Assert.Equal(1, refused.RetriesLeft);
        Assert.Equal(2, Prompts.PinRequests.Count);

        await Assert.ThrowsAsync<PinBlockedException>(() => Token.SignAsync("sig", Message, Prompts.With(WrongPin, allowLastRetry: true)));
        Assert.Equal(0, Token.GetStatus().PinRetriesLeft);

        int verifies = Readers.Count(0x20);
        var blocked = await Assert.ThrowsAsync<PinBlockedException>(() => Token.SignAsync("sig", Message, Prompts.With(CorrectPin, allowLastRetry: true)));
        Assert.Contains("admin PIN", blocked.Message, StringComparison.Ordinal);
        Assert.Equal(3, Prompts.PinRequests.Count);
        Assert.Equal(verifies, Readers.Count(0x20));
    }

    [Fact]
    public async Task Last_retry_with_the_override_and_the_right_pin_signs_and_restores_the_counter()
    {
        var key = await Generate(0, PinPolicy.Always);
        await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync("sig", Message, Prompts.With(WrongPin)));
        await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync("sig", Message, Prompts.With(WrongPin)));
        var signature = await Token.SignAsync("sig", Message, Prompts.With(CorrectPin, allowLastRetry: true));
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
        Assert.Equal(3, Token.GetStatus().PinRetriesLeft);
    }

    [Fact]
    public async Task A_malformed_pin_is_not_sent()
    {
        await Generate(0, PinPolicy.Always);
        int verifies = Readers.Count(0x20);
        await Assert.ThrowsAsync<PinFormatInvalidException>(() => Token.SignAsync("sig", Message, Prompts.With("12345")));
        Assert.Equal(verifies, Readers.Count(0x20));
        Assert.Equal(3, Token.GetStatus().PinRetriesLeft);
    }

    [Fact]
    public async Task The_admin_pin_has_its_own_counter_and_rules()
    {
        var wrong = await Assert.ThrowsAsync<PinIncorrectException>(() =>
            Token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once), Prompts.With(CorrectPin, adminPin: "87654321")));
        Assert.Equal(2, wrong.RetriesLeft);
        Assert.Contains("admin PIN", wrong.Message, StringComparison.Ordinal);
        Assert.Equal((3, 2), (Token.GetStatus().PinRetriesLeft, Token.GetStatus().AdminPinRetriesLeft));
        Assert.Throws<KeyNotFoundOnTokenException>(() => Token.GetKey("sig"));

        await Assert.ThrowsAsync<PinIncorrectException>(() =>
            Token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once), Prompts.With(CorrectPin, adminPin: "87654321")));
        var refused = await Assert.ThrowsAsync<PinAttemptRefusedException>(() =>
            Token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once), Prompts.With(CorrectPin)));
        Assert.Contains("erases the keys", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PinRequiredException>(() =>
            Token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once), Prompts.With(CorrectPin, adminPin: null, allowLastRetry: true)));

        // The right admin PIN on the last attempt, insisted on: the key is made and the counter is back.
        await Token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once), Prompts.With(CorrectPin, allowLastRetry: true));
        Assert.Equal(3, Token.GetStatus().AdminPinRetriesLeft);
    }

    [Fact]
    public async Task Pin_policies_the_card_cannot_keep_are_refused_before_anything_changes()
    {
        var always = await Assert.ThrowsAsync<NotSupportedByTokenException>(() => Generate(1, PinPolicy.Always));
        Assert.Contains("authentication key", always.Message, StringComparison.Ordinal);
        Assert.Empty(Prompts.AdminPinRequests);
        Assert.Throws<KeyNotFoundOnTokenException>(() => Token.GetKey("aut"));

        // The signature key's policy is the card's PW1 setting (C4): 'always' there, and 'once' again.
        Assert.Equal(PinPolicy.Always, (await Generate(0, PinPolicy.Always)).PinPolicy);
        Assert.Equal(PinPolicy.Once, (await Token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once) { Overwrite = true }, Prompts.With(CorrectPin))).PinPolicy);
        Assert.Equal(PinPolicy.Once, Token.GetKey("sig").PinPolicy);
    }

    [Fact]
    public async Task A_key_that_is_not_ed25519_is_named_and_never_used()
    {
        PutRsaKey(0x01);
        var error = Assert.Throws<KeyNotFoundOnTokenException>(() => Token.GetKey("sig"));
        Assert.Contains("RSA 2048", error.Message, StringComparison.Ordinal);
        Assert.Contains("must be Ed25519", error.Message, StringComparison.Ordinal);
        int signatures = Readers.Count(0x2A);
        await Assert.ThrowsAsync<KeyNotFoundOnTokenException>(() => Token.SignAsync("sig", Message, Prompts.With(CorrectPin)));
        Assert.Equal(signatures, Readers.Count(0x2A));
        Assert.DoesNotContain(Token.ListKeys(), key => key.Id == "sig");
        await Assert.ThrowsAsync<KeyExistsException>(() => Generate(0));
        Assert.True((await Token.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once) { Overwrite = true }, Prompts.With(CorrectPin))).PublicKey.Length == 32);
    }

    [Fact]
    public async Task Import_for_a_backup_same_public_key_origin_imported_and_no_attestation()
    {
        using var seed = Secret.Copy(Enumerable.Repeat((byte)0xAB, 32).ToArray());
        var key = await Token.ImportKeyAsync(new KeyGenerationRequest("aut", PinPolicy.Once, TouchPolicy.Always), seed, Prompts.With(CorrectPin));
        Assert.Equal("248acbdbaf9e050196de704bea2d68770e519150d103b587dae2d9cad53dd930", key.PublicKeyHex);
        Assert.Equal(KeyOrigin.Imported, key.Origin);
        Assert.Equal(TouchPolicy.Always, key.TouchPolicy);
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await Token.SignAsync("aut", Message, Prompts.With(CorrectPin))));
        var none = Assert.Throws<NotSupportedByTokenException>(() => Token.Attest("aut"));
        Assert.Contains("imported", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attestation_chains_to_the_simulator_root_and_certifies_the_key()
    {
        var key = await Generate(0, PinPolicy.Once, TouchPolicy.Always);
        Assert.Equal(KeyOrigin.Generated, key.Origin);
        var attestation = Token.Attest("sig");
        using var leaf = X509CertificateLoader.LoadCertificate(attestation.Certificate);
        using var intermediate = X509CertificateLoader.LoadCertificate(Assert.Single(attestation.Intermediates));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(PivRig.Root.Certificate);
        chain.ChainPolicy.ExtraStore.Add(intermediate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal("1.3.101.112", leaf.PublicKey.Oid.Value);
        Assert.Equal(key.PublicKey, leaf.PublicKey.EncodedKeyValue.RawData);

        // The PIN given to attest does not stay verified: the next signature asks for it.
        await Token.SignAsync("sig", Message, Prompts.With(CorrectPin));
        Assert.Single(Prompts.PinRequests);
    }

    [Fact]
    public async Task Removed_mid_signature_then_a_signature_after_reinsertion()
    {
        var key = await Generate(0, PinPolicy.Once);
        Card.Faults.RemoveDuringNextCommand(ins: 0x2A, point: KeyCustody.HwSim.RemovalPoint.BeforeExecution);
        var error = await Assert.ThrowsAsync<TokenRemovedException>(() => Token.SignAsync("sig", Message, Prompts.With(CorrectPin)));
        Assert.Contains("Reinsert", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<TokenNotFoundException>(() => Token.SignAsync("sig", Message, Prompts.With(CorrectPin)));

        Card.Plug();
        Assert.True(_token.WaitUntilPresent(PivRig.Patience));
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await Token.SignAsync("sig", Message, Prompts.With(CorrectPin))));
    }

    [Fact]
    public async Task Removed_while_waiting_for_the_touch()
    {
        await Generate(1, PinPolicy.Once, TouchPolicy.Always);
        Card.Button.Configure(TouchMode.Manual, timeout: TimeSpan.FromSeconds(30));
        var signing = Task.Run(() => Token.SignAsync("aut", Message, Prompts.With(CorrectPin)));
        Assert.True(Card.Button.WaitUntilWaiting(PivRig.Patience));
        Card.Unplug();
        await Assert.ThrowsAsync<TokenRemovedException>(() => signing);
    }

    [Fact]
    public async Task Two_cards_each_chosen_by_the_serial_in_their_aid()
    {
        Rig.Insert(OtherSerial, profile: CardProfile.YubiKey543);
        using var other = OpenPgpToken.Open(Rig.Readers, OtherSerial);
        Assert.Equal(new Version(5, 4, 3), other.Firmware);
        var mine = await Generate(0);
        var theirs = await other.GenerateKeyAsync(new KeyGenerationRequest("sig", PinPolicy.Once), Prompts.With(CorrectPin));
        Assert.NotEqual(mine.PublicKey, theirs.PublicKey);
        Assert.True(Ed25519Oracle.Verifies(theirs.PublicKey, Message, await other.SignAsync("sig", Message, Prompts.With(CorrectPin))));
        Assert.True(Ed25519Oracle.Verifies(mine.PublicKey, Message, await Token.SignAsync("sig", Message, Prompts.With(CorrectPin))));
        Assert.Equal([OtherSerial, Serial], OpenPgpToken.ListCards(Rig.Readers).Select(card => card.Serial).Order());
        Assert.Throws<TokenNotFoundException>(() => OpenPgpToken.Open(Rig.Readers, 99999999));
    }

    [Fact]
    public async Task A_message_over_the_cards_limit_is_refused_before_the_card_is_asked()
    {
        await Generate(0);
        var limit = OpenPgp.MessageLimit!.Value.Bytes;
        Assert.Equal(3061, limit);
        int signatures = Readers.Count(0x2A);
        var error = await Assert.ThrowsAsync<NotSupportedByTokenException>(() => Token.SignAsync("sig", new byte[limit + 1], Prompts.With(CorrectPin)));
        Assert.Contains($"limit is {limit} bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was sent", error.Message, StringComparison.Ordinal);
        Assert.Equal(signatures, Readers.Count(0x2A));
        Assert.Empty(Prompts.PinRequests);

        // At the limit: one extended APDU of the card's largest size, and the signature verifies.
        var longest = Enumerable.Range(0, limit).Select(i => (byte)i).ToArray();
        Assert.True(Ed25519Oracle.Verifies(Token.GetKey("sig").PublicKey, longest, await Token.SignAsync("sig", longest, Prompts.With(CorrectPin))));
    }

    [Fact]
    public async Task A_key_replaced_by_another_program_is_caught_by_the_check_and_then_read_again()
    {
        var first = await Generate(1);
        await Token.SignAsync("aut", Message, Prompts.With(CorrectPin));
        using (var other = OpenPgpToken.Open(Rig.Readers, Serial))
        {
            await other.GenerateKeyAsync(new KeyGenerationRequest("aut", PinPolicy.Once) { Overwrite = true }, Prompts.With(CorrectPin));
        }

        // What this token read before was about the old key: its signature does not verify, nothing is returned.
        var stale = await Assert.ThrowsAsync<TokenException>(() => Token.SignAsync("aut", Message, Prompts.With(CorrectPin)));
        Assert.Equal(TokenErrorKind.SignatureInvalid, stale.Kind);
        var now = Token.GetKey("aut");
        Assert.NotEqual(first.PublicKey, now.PublicKey);
        Assert.True(Ed25519Oracle.Verifies(now.PublicKey, Message, await Token.SignAsync("aut", Message, Prompts.With(CorrectPin))));
    }

    [Fact]
    public async Task A_yubikey_57_serves_piv_and_openpgp_alternately_the_operator_chooses_per_key()
    {
        using var piv = KeyCustody.Tokens.Piv.PivToken.Open(Readers, Serial);
        var pivKey = await piv.GenerateKeyAsync(new KeyGenerationRequest("9c", PinPolicy.Once, TouchPolicy.Never), Prompts.With(CorrectPin));
        var pgpKey = await Generate(0, PinPolicy.Always);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Ed25519Oracle.Verifies(pivKey.PublicKey, Message, await piv.SignAsync("9c", Message, Prompts.With(CorrectPin))));
            Assert.True(Ed25519Oracle.Verifies(pgpKey.PublicKey, Message, await Token.SignAsync("sig", Message, Prompts.With(CorrectPin))));
        }

        // Each applet has its own PIN and counter: a wrong OpenPGP PIN costs PIV nothing.
        await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync("sig", Message, Prompts.With(WrongPin)));
        Assert.Equal((2, 3), (Token.GetStatus().PinRetriesLeft, piv.GetStatus().PinRetriesLeft));
    }

    public override void Dispose()
    {
        _token.Dispose();
        Rig.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>An RSA 2048 key in a slot, made as another program would: VERIFY PW3, attributes, GENERATE.</summary>
    private void PutRsaKey(byte keyRef)
    {
        var reader = Rig.Readers.ReadersWithCard().Single(r => OpenPgpToken.ListCards(Rig.Readers).Count > 0);
        using var connection = Rig.Readers.Connect(reader)!;
        using (connection.BeginTransaction())
        {
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 A4 04 00 06 D2 76 00 01 24 01"))));
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 20 00 83 08 31 32 33 34 35 36 37 38"))));
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse($"00 DA 00 C{keyRef} 06 01 08 00 00 11 00"))));
            // An RSA public key does not fit a short answer: 61 xx, the rest left unread.
            var generated = connection.Transmit(Hex.Parse($"00 47 80 00 02 {(keyRef == 1 ? "B6" : "A4")} 00 00"));
            Assert.Contains(generated[^2], new byte[] { 0x90, 0x61 });
        }
    }
}

public sealed class OpenPgpInProcessConformanceTests : OpenPgpConformanceTests
{
    public OpenPgpInProcessConformanceTests()
        : base(new InProcessRig())
    {
    }

    /// <summary>What was learnt before the prompt was about the old session: fail, do not guess.</summary>
    [Fact]
    public async Task A_card_swapped_while_the_person_types_the_pin_fails_the_signature()
    {
        await Generate(0, PinPolicy.Always, TouchPolicy.Always);
        var interaction = new TokenInteraction
        {
            Pin = (_, _) =>
            {
                Card.Unplug();
                Card.Plug();
                return ValueTask.FromResult<Secret?>(Secret.Copy("123456"u8));
            },
        };
        int touches = Card.Button.Requests;
        await Assert.ThrowsAsync<TokenRemovedException>(() => Token.SignAsync("sig", Message, interaction));
        Assert.Equal(touches, Card.Button.Requests);
        Assert.Equal(3, Token.GetStatus().PinRetriesLeft);
    }
}

[Collection(PcscdCollection.Name)]
public sealed class OpenPgpPcscdConformanceTests : OpenPgpConformanceTests
{
    public OpenPgpPcscdConformanceTests(PcscdFixture pcscd)
        : base(new PcscRig(pcscd.Pcscd))
    {
    }
}
