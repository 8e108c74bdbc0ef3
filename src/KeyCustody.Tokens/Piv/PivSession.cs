using System.Security.Cryptography;
using KeyCustody.Tokens.Piv.Commands;

namespace KeyCustody.Tokens.Piv;

/// <summary>
/// The PIV application on one connected card: each method sends the command(s) and turns the answer into a
/// value or a domain error. No policy decisions here (those are in <see cref="PivToken"/>), no transactions
/// (the caller holds one around a sequence).
/// </summary>
internal sealed class PivSession
{
    private readonly ChainingChannel _channel;

    public PivSession(IApduTransport transport, string tokenName)
    {
        _channel = new ChainingChannel(transport);
        TokenName = tokenName;
    }

    public string TokenName { get; set; }

    private PivErrorContext Context(string? keyId = null) => new(TokenName, keyId);

    public void Select() => IdentityCommands.ParseSelect(Send(IdentityCommands.Select()), Context());

    public Version GetVersion() => IdentityCommands.ParseVersion(Send(IdentityCommands.GetVersion()), Context());

    public uint GetSerial() => IdentityCommands.ParseSerial(Send(IdentityCommands.GetSerial()), Context());

    public KeyMetadata? GetKeyMetadata(byte slot) =>
        MetadataCommand.ParseKey(Send(MetadataCommand.Build(slot)), Context(PivSlot.Name(slot)));

    public PinMetadata GetPinMetadata() => MetadataCommand.ParsePin(Send(MetadataCommand.Build(PivSlot.Pin)), Context());

    public ManagementKeyMetadata? GetManagementKeyMetadata() =>
        MetadataCommand.ParseManagementKey(Send(MetadataCommand.Build(PivSlot.ManagementKey)), Context());

    public (bool Verified, int? RetriesLeft) PinStatus() => PinCommands.ParseStatus(Send(PinCommands.Status()), Context());

    public void VerifyPin(ReadOnlySpan<byte> pin) => PinCommands.ParseVerify(Send(PinCommands.Verify(pin)), Context());

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

    private ResponseApdu Send(CommandApdu command)
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
