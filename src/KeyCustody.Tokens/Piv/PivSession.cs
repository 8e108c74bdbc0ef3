using System.Security.Cryptography;
using KeyCustody.Tokens.Piv.Commands;

namespace KeyCustody.Tokens.Piv;

/// <summary>
/// The PIV application on one connected card: each method sends the command(s) and turns the answer into a
/// value or a domain error, and keeps what the answers say about the card session in <see cref="State"/>. No policy
/// decisions here (those are in <see cref="PivToken"/>), no transactions (the caller holds one around a sequence and
/// tells <see cref="StartTransaction"/>).
/// <para>
/// SELECT is sent only when PIV is not known to be selected: on a new connection, after PC/SC reported a reset, or
/// when the first answer of a transaction comes from another applet (another program selected one between our
/// transactions; every other YubiKey applet refuses PIV's instructions without effect, <see cref="FromAnotherApplet"/>).
/// The command is then sent again after SELECT.
/// </para>
/// </summary>
internal sealed class PivSession
{
    private readonly ChainingChannel _channel;
    private long _resetsSeen;
    private bool _pivAnsweredInTransaction;

    public PivSession(IApduTransport transport, string tokenName)
    {
        _channel = new ChainingChannel(transport);
        TokenName = tokenName;
    }

    public string TokenName { get; set; }

    public CardSessionState State { get; } = new();

    /// <summary>Exchanges the card answered in the current transaction (0: nothing of it has reached the card yet).</summary>
    public int ExchangesInTransaction { get; private set; }

    private PivErrorContext Context(string? keyId = null) => new(TokenName, keyId);

    /// <summary>
    /// At the start of each transaction, with the connection's reset count. After a reset (another program reset the
    /// card) nothing known holds: PIV is selected again and the card must still be <paramref name="expectedSerial"/>.
    /// </summary>
    public void StartTransaction(long resets, uint? expectedSerial)
    {
        _pivAnsweredInTransaction = false;
        ExchangesInTransaction = 0;
        if (resets == _resetsSeen)
        {
            return;
        }

        _resetsSeen = resets;
        State.Forget();
        Select();
        if (expectedSerial is { } serial && GetSerial() != serial)
        {
            throw TokenErrors.TokenRemoved(TokenName, new IOException("after a reset another card answers in this reader"));
        }
    }

    public void Select()
    {
        var command = IdentityCommands.Select();
        IdentityCommands.ParseSelect(Exchange(command), Context());
        State.PivSelected = true;
        _pivAnsweredInTransaction = true;
    }

    public Version GetVersion() => IdentityCommands.ParseVersion(Send(IdentityCommands.GetVersion()), Context());

    public uint GetSerial() => IdentityCommands.ParseSerial(Send(IdentityCommands.GetSerial()), Context());

    /// <summary>Reads the slot's metadata from the card (and keeps it in <see cref="State"/>); null for an empty slot.</summary>
    public KeyMetadata? GetKeyMetadata(byte slot)
    {
        var metadata = MetadataCommand.ParseKey(Send(MetadataCommand.Build(slot)), Context(PivSlot.Name(slot)));
        State.Remember(slot, metadata);
        return metadata;
    }

    /// <summary>The slot's metadata as known in this session, read from the card only if it is not.</summary>
    public KeyMetadata? KnownKeyMetadata(byte slot) => State.Key(slot) ?? GetKeyMetadata(slot);

    public PinMetadata GetPinMetadata()
    {
        var pin = MetadataCommand.ParsePin(Send(MetadataCommand.Build(PivSlot.Pin)), Context());
        State.PinRetriesLeft = pin.RetriesLeft;
        State.PinRetriesTotal = pin.TotalRetries;
        return pin;
    }

    public ManagementKeyMetadata? GetManagementKeyMetadata() =>
        MetadataCommand.ParseManagementKey(Send(MetadataCommand.Build(PivSlot.ManagementKey)), Context());

    public (bool Verified, int? RetriesLeft) PinStatus()
    {
        var (verified, retries) = PinCommands.ParseStatus(Send(PinCommands.Status()), Context());
        State.PinVerified = verified;
        if (retries is not null)
        {
            State.PinRetriesLeft = retries;
        }

        return (verified, retries);
    }

    public void VerifyPin(ReadOnlySpan<byte> pin)
    {
        try
        {
            PinCommands.ParseVerify(Send(PinCommands.Verify(pin)), Context());
        }
        catch (TokenException e) when (e.Kind is TokenErrorKind.PinIncorrect or TokenErrorKind.PinBlocked)
        {
            State.PinVerified = false;
            State.PinRetriesLeft = e.Kind == TokenErrorKind.PinIncorrect ? e.RetriesLeft : 0;
            throw;
        }

        State.PinAccepted();
    }

    /// <summary>Mutual authentication; throws <see cref="ManagementKeyIncorrectException"/> if either side fails.</summary>
    public void AuthenticateManagementKey(byte algorithm, ReadOnlySpan<byte> key)
    {
        if (key.Length != ManagementKeyCommands.KeyLength(algorithm))
        {
            throw TokenErrors.ManagementKeyIncorrect(TokenName);
        }

        int block = ManagementKeyCommands.BlockSize(algorithm);
        var encryptedWitness = ManagementKeyCommands.ParseWitness(Send(ManagementKeyCommands.RequestWitness(algorithm)), algorithm, Context());
        var witness = ManagementKeyCipher.Decrypt(algorithm, key, encryptedWitness);
        var challenge = RandomNumberGenerator.GetBytes(block);
        byte[]? expected = null;
        try
        {
            var answer = ManagementKeyCommands.ParseResponse(
                Send(ManagementKeyCommands.Respond(algorithm, witness, challenge)), algorithm, Context());
            expected = ManagementKeyCipher.Encrypt(algorithm, key, challenge);
            if (!CryptographicOperations.FixedTimeEquals(answer, expected))
            {
                // The card accepted our witness but could not encrypt our challenge: it does not hold this key.
                throw TokenErrors.Device(TokenName, "the card failed to prove it holds the management key", "mutual authentication failed");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(witness);
            CryptographicOperations.ZeroMemory(challenge);
            if (expected is not null)
            {
                CryptographicOperations.ZeroMemory(expected);
            }
        }
    }

    public byte[] Generate(byte slot, PinPolicy pin, TouchPolicy touch) =>
        GenerateCommand.Parse(Send(GenerateCommand.Build(slot, pin, touch)), Context(PivSlot.Name(slot)));

    public void Import(byte slot, ReadOnlySpan<byte> seed, PinPolicy pin, TouchPolicy touch) =>
        ImportCommand.Parse(Send(ImportCommand.Build(slot, seed, pin, touch)), Context(PivSlot.Name(slot)));

    public byte[] Sign(byte slot, ReadOnlySpan<byte> message, bool touchExpected) =>
        SignCommand.Parse(Send(SignCommand.Build(slot, message)), touchExpected, Context(PivSlot.Name(slot)));

    public byte[] Attest(byte slot) => AttestCommands.ParseAttest(Send(AttestCommands.Attest(slot)), Context(PivSlot.Name(slot)));

    public byte[]? GetCertificate(byte slot) =>
        AttestCommands.ParseCertificateObject(Send(AttestCommands.GetData(PivSlot.CertificateObject(slot))), Context(PivSlot.Name(slot)));

    /// <summary>
    /// Status words with which another applet turns down a PIV instruction: instruction, class or parameters unknown,
    /// chaining or secure messaging not supported, or no such file. The PIV applet itself never answers them to what
    /// this client sends, except 6A82 to GET DATA of an absent object (which then costs one SELECT more).
    /// </summary>
    private static bool FromAnotherApplet(ushort sw) => sw is StatusWords.InstructionNotSupported or StatusWords.ClassNotSupported
        or StatusWords.WrongParameters or StatusWords.FileNotFound or 0x6881 or 0x6882 or 0x6883 or 0x6884 or 0x6999;

    /// <summary>A PIV command: SELECT first if PIV is not known to be selected; again if another applet answered.</summary>
    private ResponseApdu Send(CommandApdu command)
    {
        try
        {
            if (!State.PivSelected)
            {
                Select();
            }

            var response = Exchange(command);
            if (!_pivAnsweredInTransaction && FromAnotherApplet(response.StatusWord))
            {
                // Another program selected another applet since our last transaction. Whether the PIV applet keeps a
                // verified PIN across that is not known, so it counts as not verified.
                State.PivSelected = false;
                State.PinVerified = false;
                Select();
                response = Exchange(command);
            }

            _pivAnsweredInTransaction = true;
            return response;
        }
        finally
        {
            command.Clear();
        }
    }

    private ResponseApdu Exchange(CommandApdu command)
    {
        try
        {
            var response = _channel.Transmit(command, keep: true);
            ExchangesInTransaction++;
            return response;
        }
        catch (InvalidDataException e)
        {
            throw Context().Malformed($"INS {command.Ins:X2}", e);
        }
    }
}
