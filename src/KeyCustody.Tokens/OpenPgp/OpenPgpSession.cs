using KeyCustody.Tokens.OpenPgp.Apdu;
using KeyCustody.Tokens.OpenPgp.Commands;
using KeyCustody.Tokens.OpenPgp.Data;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp;

/// <summary>
/// The OpenPGP application on one connected card: each method sends its command(s) and turns the answer into a
/// value or a domain error. No policy here (that is <see cref="OpenPgpToken"/>'s), no transactions (the caller holds
/// one around a sequence).
/// </summary>
internal sealed class OpenPgpSession
{
    private readonly PgpChannel _channel;

    public OpenPgpSession(IApduTransport transport, string tokenName)
    {
        _channel = new PgpChannel(transport);
        TokenName = tokenName;
    }

    public string TokenName { get; set; }

    /// <summary>The YubiKey firmware that chose SELECT DATA's format; null for other cards.</summary>
    public Version? Firmware { get; set; }

    private OpenPgpErrorContext Context(string? keyId = null) => new(TokenName, keyId);

    public void Select() => SelectCommands.ParseSelect(Send(SelectCommands.Select()), Context());

    /// <summary>A YubiKey's firmware (GET VERSION F1), null when the card does not answer it.</summary>
    public Version? GetVersion() => SelectCommands.ParseVersion(Send(SelectCommands.GetVersion()));

    /// <summary>Reads 6E and sets how long commands are framed, from what the card announces.</summary>
    public ApplicationData ReadApplicationData()
    {
        var data = DataCommands.ParseApplicationData(Send(DataCommands.Get(DataCommands.ApplicationRelatedData)), Context());
        _channel.LongCommands = CardCapabilities.From(data).LongCommands;
        return data;
    }

    public PwStatus GetPwStatus()
    {
        var value = DataCommands.ParseGet(Send(DataCommands.Get(DataCommands.PwStatusBytes)), DataCommands.PwStatusBytes, Context())
            ?? throw TokenErrors.Device(TokenName, "the card has no PW status bytes (C4)", "GET DATA 00C4: not found");
        try
        {
            return PwStatus.Parse(value);
        }
        catch (InvalidDataException e)
        {
            throw Context().Malformed("GET DATA 00C4", e);
        }
    }

    public uint? GetSignatureCounter() =>
        DataCommands.ParseSignatureCounter(Send(DataCommands.Get(DataCommands.SecuritySupportTemplate)), Context());

    /// <summary>Whether PINs must go through the card's key derivation (KDF-DO F9 with an algorithm other than none).</summary>
    public bool KdfInUse()
    {
        var kdf = DataCommands.ParseGet(Send(DataCommands.Get(0x00F9)), 0x00F9, Context());
        if (kdf is null or { Length: 0 })
        {
            return false;
        }

        try
        {
            var algorithm = Ber.Find(Ber.ReadAll(kdf), 0x81);
            return algorithm is { Length: > 0 } && algorithm[0] != 0x00;
        }
        catch (InvalidDataException e)
        {
            throw Context().Malformed("GET DATA 00F9", e);
        }
    }

    /// <summary>The empty VERIFY: true verified, false not, null when the card does not know the probe.</summary>
    public bool? ProbeVerified(Password password) => VerifyCommands.ParseStatus(Send(VerifyCommands.Status(password)));

    /// <summary>Sets the password back to "not verified"; false when the card does not know the command.</summary>
    public bool ResetVerification(Password password) => Send(VerifyCommands.Reset(password)).IsSuccess;

    public VerifyOutcome Verify(Password password, ReadOnlySpan<byte> pin) =>
        VerifyCommands.ParseVerify(Send(VerifyCommands.Verify(password, pin)), Context());

    public void PutData(int tag, byte[] value) => DataCommands.ParsePut(Send(DataCommands.Put(tag, value)), tag, Context());

    public byte[] ReadPublicKey(OpenPgpKeySlot slot) =>
        KeyCommands.ParsePublicKey(Send(KeyCommands.ReadPublicKey(slot)), "reading the public key", Context(slot.Id));

    public byte[] Generate(OpenPgpKeySlot slot) =>
        KeyCommands.ParsePublicKey(Send(KeyCommands.Generate(slot)), "GENERATE", Context(slot.Id));

    public void Import(OpenPgpKeySlot slot, ReadOnlySpan<byte> seed, ReadOnlySpan<byte> publicKey) =>
        KeyCommands.ParseImport(Send(KeyCommands.Import(slot, seed, publicKey)), Context(slot.Id));

    /// <summary>The algorithm information (FA, 3.4): the attributes the card supports per key; null when it has none.</summary>
    public byte[]? GetAlgorithmInformation() => DataCommands.ParseGet(Send(DataCommands.Get(0x00FA)), 0x00FA, Context());

    public byte[] Sign(OpenPgpKeySlot slot, ReadOnlySpan<byte> message, bool touchExpected) =>
        SignCommands.Parse(Send(SignCommands.Build(slot, message)), touchExpected, slot.Id, Context(slot.Id));

    public void Attest(OpenPgpKeySlot slot, bool touchExpected) =>
        AttestCommands.ParseAttest(Send(AttestCommands.Attest(slot)), touchExpected, Context(slot.Id));

    /// <summary>The slot's cardholder certificate (where GET ATTESTATION puts its statement); null when empty.</summary>
    public byte[]? GetCertificate(OpenPgpKeySlot slot)
    {
        bool lengthByte = Firmware is { } firmware && firmware <= new Version(5, 4, 3);
        AttestCommands.ParseSelectCertificate(Send(AttestCommands.SelectCertificate(slot, lengthByte)), Context(slot.Id));
        var value = DataCommands.ParseGet(Send(DataCommands.Get(AttestCommands.CardholderCertificate)), AttestCommands.CardholderCertificate, Context(slot.Id));
        return value is { Length: > 0 } ? value : null;
    }

    /// <summary>The card's attestation certificate (DO FC); null when the card has none.</summary>
    public byte[]? GetAttestationCertificate()
    {
        var value = DataCommands.ParseGet(Send(DataCommands.Get(AttestCommands.AttestationCertificate)), AttestCommands.AttestationCertificate, Context());
        return value is { Length: > 0 } ? value : null;
    }

    private ResponseApdu Send(PgpCommand command)
    {
        try
        {
            return _channel.Transmit(command);
        }
        catch (InvalidDataException e)
        {
            throw Context().Malformed($"INS {command.Ins:X2}", e);
        }
    }
}
