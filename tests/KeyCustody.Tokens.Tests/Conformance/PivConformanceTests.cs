using System.Security.Cryptography.X509Certificates;
using KeyCustody.HwSim;
using KeyCustody.HwSim.Touch;
using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Conformance;

/// <summary>
/// The conformance suite for PIV against hw-sim, plus what only a YubiKey has: touch (auto, timeout, cancelled
/// before the touch), blocked PIN, removal mid-signature and re-insertion, two cards chosen by serial,
/// attestation. Runs in-process and through the real pcscd + vpcd.
/// </summary>
public abstract class PivConformanceTests : TokenConformanceTests
{
    private const uint Serial = 11409355;
    private const uint OtherSerial = 22334455;
    private readonly PivToken _token;

    private protected PivConformanceTests(PivRig rig)
    {
        Rig = rig;
        Card = rig.Insert(Serial);
        _token = PivToken.Open(rig.Readers, Serial);
    }

    protected PivRig Rig { get; }

    protected VirtualCard Card { get; }

    protected override ISigningToken Token => _token;

    protected override string CorrectPin => "123456";

    protected override string WrongPin => "654321";

    protected override int? InitialRetries => 3;

    protected override string KeyId(int index) => index switch
    {
        0 => "9c",
        1 => "9a",
        _ => "9d",
    };

    [Fact]
    public void Status_reports_serial_and_firmware()
    {
        var status = Token.GetStatus();
        Assert.Equal(Serial.ToString(), status.Serial);
        Assert.Equal("piv", status.Kind);
        Assert.True(status.Firmware >= new Version(5, 7, 0));
    }

    [Fact]
    public async Task Touch_auto_the_presence_hook_fires_before_the_card_waits()
    {
        var key = await Generate(0, PinPolicy.Never, TouchPolicy.Always);
        Assert.Equal(TouchPolicy.Always, key.TouchPolicy);
        int requestsBefore = Card.Button.Requests;
        var observed = new List<(bool Waiting, int Requests)>();
        Prompts.OnPresence = _ => observed.Add((Card.Button.IsWaiting, Card.Button.Requests));

        var signature = await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));

        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
        var prompt = Assert.Single(Prompts.PresenceRequests);
        Assert.Equal((false, requestsBefore), Assert.Single(observed));
        Assert.Equal(requestsBefore + 1, Card.Button.Requests);
        Assert.Equal("sign", prompt.Operation);
        Assert.Equal(KeyId(0), prompt.KeyId);
        Assert.Equal(Serial.ToString(), prompt.TokenSerial);
    }

    [Fact]
    public async Task No_presence_hook_for_a_key_without_touch()
    {
        await Generate(0, PinPolicy.Never, TouchPolicy.Never);
        await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));
        Assert.Empty(Prompts.PresenceRequests);
    }

    [Fact]
    public async Task Touch_timeout_is_its_own_error()
    {
        await Generate(0, PinPolicy.Once, TouchPolicy.Always);
        Card.Button.Configure(TouchMode.Never, timeout: TimeSpan.FromMilliseconds(300));
        var error = await Assert.ThrowsAsync<TouchTimeoutException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin)));
        Assert.Contains("touch", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Single(Prompts.PresenceRequests);

        // The PIN was right: a timeout must not cost a PIN attempt, and the next touch works.
        Assert.Equal(3, Token.GetStatus().PinRetriesLeft);
        Card.Button.Configure(TouchMode.Auto);
        await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));
    }

    [Fact]
    public async Task Cancelled_before_the_touch_never_reaches_the_card()
    {
        await Generate(0, PinPolicy.Never, TouchPolicy.Always);
        Card.Button.Configure(TouchMode.Manual);
        int requestsBefore = Card.Button.Requests;
        using var cancellation = new CancellationTokenSource();
        Prompts.OnPresence = _ => cancellation.Cancel();

        var error = await Assert.ThrowsAsync<TokenOperationCancelledException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin), cancellation.Token));

        Assert.Contains("nothing was signed", error.Message, StringComparison.Ordinal);
        Assert.Equal(requestsBefore, Card.Button.Requests);
        Assert.False(Card.Button.IsWaiting);
    }

    [Fact]
    public async Task Blocked_pin_is_never_tried_without_the_override_and_is_reported()
    {
        await Generate(0, PinPolicy.Always);
        Assert.Equal(2, (await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(WrongPin)))).RetriesLeft);
        Assert.Equal(1, (await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(WrongPin)))).RetriesLeft);
        Assert.Equal(2, Prompts.PinRequests.Count);

        // One attempt left: refused before the person is even asked, so nothing can burn it by accident.
        var refused = await Assert.ThrowsAsync<PinAttemptRefusedException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin)));
        Assert.Equal(1, refused.RetriesLeft);
        Assert.Equal(2, Prompts.PinRequests.Count);
        Assert.Equal(1, Token.GetStatus().PinRetriesLeft);

        // The caller insists, with the wrong PIN: the PIN blocks.
        await Assert.ThrowsAsync<PinBlockedException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(WrongPin, allowLastRetry: true)));
        Assert.Equal(0, Token.GetStatus().PinRetriesLeft);

        // Blocked: even the right PIN with the override is not sent.
        var blocked = await Assert.ThrowsAsync<PinBlockedException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin, allowLastRetry: true)));
        Assert.Contains("PUK", blocked.Message, StringComparison.Ordinal);
        Assert.Equal(3, Prompts.PinRequests.Count);
    }

    [Fact]
    public async Task Last_retry_with_the_override_and_the_right_pin_signs_and_restores_the_counter()
    {
        var key = await Generate(0, PinPolicy.Always);
        await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(WrongPin)));
        await Assert.ThrowsAsync<PinIncorrectException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(WrongPin)));
        var signature = await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin, allowLastRetry: true));
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
        Assert.Equal(3, Token.GetStatus().PinRetriesLeft);
    }

    [Fact]
    public async Task A_malformed_pin_is_not_sent()
    {
        await Generate(0, PinPolicy.Always);
        await Assert.ThrowsAsync<PinFormatInvalidException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With("12345")));
        Assert.Equal(3, Token.GetStatus().PinRetriesLeft);
    }

    [Fact]
    public async Task Removed_mid_signature_then_a_signature_after_reinsertion()
    {
        var key = await Generate(0, PinPolicy.Once);
        Card.Faults.RemoveDuringNextCommand(ins: 0x87, point: RemovalPoint.BeforeExecution);

        var error = await Assert.ThrowsAsync<TokenRemovedException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin)));
        Assert.Contains("Reinsert", error.Message, StringComparison.Ordinal);
        Assert.False(Card.IsPresent);
        await Assert.ThrowsAsync<TokenNotFoundException>(() => Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin)));

        Card.Plug();
        Assert.True(_token.WaitUntilPresent(PivRig.Patience));
        var signature = await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
    }

    [Fact]
    public async Task Pulled_and_put_back_between_operations_the_next_one_just_works()
    {
        var key = await Generate(0, PinPolicy.Never);
        Card.Unplug();
        Card.Plug();
        Assert.True(_token.WaitUntilPresent(PivRig.Patience));
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await Token.SignAsync(KeyId(0), Message, TokenInteraction.None)));
    }

    [Fact]
    public async Task Removed_while_waiting_for_the_touch()
    {
        await Generate(0, PinPolicy.Never, TouchPolicy.Always);
        Card.Button.Configure(TouchMode.Manual, timeout: TimeSpan.FromSeconds(30));
        var signing = Task.Run(() => Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin)));
        Assert.True(Card.Button.WaitUntilWaiting(PivRig.Patience));
        Card.Unplug();
        await Assert.ThrowsAsync<TokenRemovedException>(() => signing);
    }

    [Fact]
    public async Task Two_cards_each_selected_by_serial()
    {
        var other = Rig.Insert(OtherSerial);
        using var otherToken = PivToken.Open(Rig.Readers, OtherSerial);
        Assert.Equal(OtherSerial, otherToken.Serial);
        Assert.Equal(OtherSerial.ToString(), otherToken.GetStatus().Serial);
        Assert.Equal(Serial.ToString(), Token.GetStatus().Serial);

        var mine = await Generate(0);
        var theirs = await otherToken.GenerateKeyAsync(new KeyGenerationRequest(KeyId(0), PinPolicy.Never, TouchPolicy.Never), Prompts.With(CorrectPin));
        Assert.NotEqual(mine.PublicKey, theirs.PublicKey);
        Assert.True(Ed25519Oracle.Verifies(theirs.PublicKey, Message, await otherToken.SignAsync(KeyId(0), Message, TokenInteraction.None)));
        Assert.True(Ed25519Oracle.Verifies(mine.PublicKey, Message, await Token.SignAsync(KeyId(0), Message, TokenInteraction.None)));

        Assert.Equal([Serial, OtherSerial], PivToken.ListCards(Rig.Readers).Select(card => card.Serial).Order());
        Assert.Throws<TokenNotFoundException>(() => PivToken.Open(Rig.Readers, 99999999));

        // Pulling one card leaves the other working.
        other.Unplug();
        await Assert.ThrowsAnyAsync<TokenException>(() => otherToken.SignAsync(KeyId(0), Message, TokenInteraction.None));
        Assert.True(Ed25519Oracle.Verifies(mine.PublicKey, Message, await Token.SignAsync(KeyId(0), Message, TokenInteraction.None)));
    }

    /// <summary>
    /// A second card claiming the serial: neither is opened (the PIN would have gone to whichever reader came first),
    /// both readers are named. The token opened before it keeps its own connection.
    /// </summary>
    [Fact]
    public async Task A_second_card_with_the_serial_is_refused_naming_both_readers()
    {
        var key = await Generate(0);
        Rig.Insert(Serial);
        var readers = Rig.Readers.ReadersWithCard();
        Assert.Equal(2, readers.Count);

        var error = Assert.Throws<TokenNotFoundException>(() => PivToken.Open(Rig.Readers, Serial));

        Assert.Contains($"More than one token YubiKey with serial {Serial} is present", error.Message, StringComparison.Ordinal);
        foreach (var reader in readers)
        {
            Assert.Contains($"in reader \"{reader}\"", error.Message, StringComparison.Ordinal);
        }

        Assert.Contains("none was opened and no PIN was sent", error.Message, StringComparison.Ordinal);
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await Token.SignAsync(KeyId(0), Message, TokenInteraction.None)));
    }

    [Fact]
    public async Task Attestation_chains_to_the_simulator_root_and_certifies_the_key()
    {
        var key = await Generate(0, PinPolicy.Once, TouchPolicy.Always);
        var attestation = Token.Attest(KeyId(0));
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
        Assert.Contains("9c", leaf.Subject, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Wrong_management_key_is_named()
    {
        var wrongKey = Enumerable.Repeat((byte)0x42, 24).ToArray();
        await Assert.ThrowsAsync<ManagementKeyIncorrectException>(() =>
            Token.GenerateKeyAsync(new KeyGenerationRequest(KeyId(0)), Prompts.With(CorrectPin, managementKey: wrongKey)));
        Assert.Throws<KeyNotFoundOnTokenException>(() => Token.GetKey(KeyId(0)));
    }

    [Fact]
    public void A_slot_that_is_not_a_key_slot_is_refused() =>
        Assert.Throws<KeyNotFoundOnTokenException>(() => Token.GetKey("9b"));

    public override void Dispose()
    {
        _token.Dispose();
        Rig.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class PivInProcessConformanceTests : PivConformanceTests
{
    public PivInProcessConformanceTests()
        : base(new InProcessRig())
    {
    }

    /// <summary>In-process the card is back at once, so no wait: the stale connection is replaced inside the operation.</summary>
    [Fact]
    public async Task A_stale_connection_is_replaced_before_anything_is_sent()
    {
        var key = await Generate(0, PinPolicy.Once);
        await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));
        Card.Unplug();
        Card.Plug();

        var signature = await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));

        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
        Assert.Equal(2, Prompts.PinRequests.Count);
        Assert.Equal(3, Token.GetStatus().PinRetriesLeft);
    }

    /// <summary>What was learnt before the prompt was about the old session: fail, do not guess.</summary>
    [Fact]
    public async Task A_card_swapped_while_the_person_types_the_pin_fails_the_signature()
    {
        await Generate(0, PinPolicy.Once, TouchPolicy.Always);
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

        await Assert.ThrowsAsync<TokenRemovedException>(() => Token.SignAsync(KeyId(0), Message, interaction));

        Assert.Equal(touches, Card.Button.Requests);
        Assert.Equal(3, Token.GetStatus().PinRetriesLeft);
    }
}

[Collection(PcscdCollection.Name)]
public sealed class PivPcscdConformanceTests : PivConformanceTests
{
    public PivPcscdConformanceTests(PcscdFixture pcscd)
        : base(new PcscRig(pcscd.Pcscd))
    {
    }

    [Fact]
    public async Task Another_pcsc_program_can_use_the_card_between_our_operations()
    {
        var key = await Generate(0, PinPolicy.Once);
        await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin));

        // Our connection stays open; its transactions are over, so a second client gets the card at once.
        using var other = KeyCustody.Tokens.Pcsc.PcscReaders.Open();
        var reader = Assert.Single(other.ReadersWithCard());
        using (var connection = other.Connect(reader)!)
        using (connection.BeginTransaction())
        {
            Assert.Equal("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00", Hex.Format(connection.Transmit(Hex.Parse("00 A4 04 00 05 A0 00 00 03 08"))));
            Assert.Equal("90 00", Hex.Format(connection.Transmit(Hex.Parse("00 FD 00 00")).AsSpan(3)));
        }

        // hw-sim keeps the PIN verified across the other SELECT, so no new prompt (a card that forgot it would be
        // asked again after the status probe, never sent a stale assumption).
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await Token.SignAsync(KeyId(0), Message, Prompts.With(CorrectPin))));
        Assert.Single(Prompts.PinRequests);
    }
}
