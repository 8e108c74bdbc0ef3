using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Piv;

/// <summary>
/// When the PIV session sends SELECT, byte for byte, with a scripted card: a YubiKey's other applets (OpenPGP, OATH,
/// management, OTP) refuse PIV's instructions with 6D00. The same paths on hw-sim behind pcscd (a reset, another client
/// selecting the management applet, a swap) are in LeanPivClientTests.
/// </summary>
public sealed class SelectionTests
{
    private const string Select = "00 A4 04 00 05 A0 00 00 03 08";
    private const string SelectOk = "61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00";
    private const string Metadata9c = "00 F7 00 9C";
    private const string Ed25519Metadata = "01 01 E0 02 02 01 01 03 01 01 04 22 86 20 " +
        "11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 90 00";

    [Fact]
    public void Piv_is_selected_once_per_card_session_not_per_command_or_transaction()
    {
        var card = new ScriptedCard(SelectOk, Ed25519Metadata, "90 00", Ed25519Metadata);
        var session = new PivSession(card, "YubiKey 1");

        session.StartTransaction(0, null);
        session.GetKeyMetadata(0x9C);
        session.PinStatus();
        session.StartTransaction(0, null);
        session.GetKeyMetadata(0x9C);

        Assert.Equal([Select, Metadata9c, "00 20 00 80", Metadata9c], card.Sent);
    }

    [Fact]
    public void Another_applet_answering_the_first_command_of_a_transaction_means_select_again_and_resend()
    {
        var card = new ScriptedCard(SelectOk, "90 00", "6D 00", SelectOk, Ed25519Metadata);
        var session = new PivSession(card, "YubiKey 1");
        session.StartTransaction(0, null);
        session.PinStatus();
        Assert.True(session.State.PinVerified);

        session.StartTransaction(0, null);
        var metadata = session.GetKeyMetadata(0x9C);

        Assert.NotNull(metadata);
        Assert.Equal([Select, "00 20 00 80", Metadata9c, Select, Metadata9c], card.Sent);
        Assert.False(session.State.PinVerified);
    }

    [Fact]
    public void Once_piv_answered_in_a_transaction_a_refusal_is_the_applets_own()
    {
        var card = new ScriptedCard(SelectOk, "90 00", "6D 00");
        var session = new PivSession(card, "YubiKey 1");
        session.StartTransaction(0, null);
        session.PinStatus();

        Assert.Throws<DeviceErrorException>(() => session.GetKeyMetadata(0x9C));
        Assert.Equal([Select, "00 20 00 80", Metadata9c], card.Sent);
    }

    [Fact]
    public void After_a_reset_everything_is_forgotten_and_the_serial_checked()
    {
        var card = new ScriptedCard(SelectOk, Ed25519Metadata, SelectOk, "00 AE 17 CB 90 00", Ed25519Metadata, SelectOk, "00 00 00 01 90 00");
        var session = new PivSession(card, "YubiKey 11409355");
        session.StartTransaction(0, 11409355);
        session.GetKeyMetadata(0x9C);
        int generation = session.State.Generation;

        session.StartTransaction(1, 11409355);
        Assert.Null(session.State.Key(0x9C));
        Assert.NotEqual(generation, session.State.Generation);
        session.KnownKeyMetadata(0x9C);
        Assert.Equal([Select, Metadata9c, Select, "00 F8 00 00", Metadata9c], card.Sent);

        // Another card answers after the next reset: the connection is not the card it was.
        Assert.Throws<TokenRemovedException>(() => session.StartTransaction(2, 11409355));
    }

    /// <summary>Answers with canned responses and records every command as hex.</summary>
    private sealed class ScriptedCard(params string[] responses) : IApduTransport
    {
        private readonly Queue<string> _responses = new(responses);

        public List<string> Sent { get; } = [];

        public byte[] Transmit(ReadOnlySpan<byte> command)
        {
            Sent.Add(Hex.Format(command.ToArray()));
            return Hex.Parse(_responses.Dequeue());
        }
    }
}
