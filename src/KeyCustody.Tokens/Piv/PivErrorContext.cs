namespace KeyCustody.Tokens.Piv;

/// <summary>Which card and key a response belongs to, so status words become errors that name them.</summary>
internal sealed record PivErrorContext(string Token, string? KeyId = null)
{
    /// <summary>A status word the command does not expect.</summary>
    public DeviceErrorException Unexpected(ushort sw, string operation) => TokenErrors.Device(
        Token,
        sw switch
        {
            StatusWords.FileNotFound or StatusWords.InstructionNotSupported or StatusWords.ClassNotSupported =>
                $"{operation} is not supported by this card (is it a YubiKey 5.7+ with the PIV application enabled?)",
            StatusWords.IncorrectData => $"{operation} was refused as incorrect data",
            StatusWords.ConditionsNotSatisfied => $"{operation} was refused: conditions not satisfied",
            _ => $"{operation} failed with an unexpected status word",
        },
        StatusWords.Format(sw));

    public DeviceErrorException Malformed(string operation, Exception inner) =>
        TokenErrors.Device(Token, $"the card's answer to {operation} is malformed: {inner.Message}", "malformed response", inner);
}
