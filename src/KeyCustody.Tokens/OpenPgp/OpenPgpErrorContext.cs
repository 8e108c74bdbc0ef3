using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp;

/// <summary>Which card and key a response belongs to, so status words become errors that name them.</summary>
internal sealed record OpenPgpErrorContext(string Token, string? KeyId = null)
{
    public const ushort NotEnoughMemory = 0x6A84;
    public const ushort ConditionsNotSatisfied = 0x6985;
    public const ushort ReferencedDataNotFound = 0x6A88;

    /// <summary>A status word the command does not expect.</summary>
    public DeviceErrorException Unexpected(ushort sw, string operation) => TokenErrors.Device(
        Token,
        sw switch
        {
            StatusWords.FileNotFound => $"{operation}: the card has no OpenPGP application (or it is disabled)",
            StatusWords.InstructionNotSupported or StatusWords.ClassNotSupported or StatusWords.FunctionNotSupported =>
                $"{operation} is not supported by this card",
            StatusWords.IncorrectData => $"{operation} was refused as incorrect data",
            ConditionsNotSatisfied => $"{operation} was refused: conditions not satisfied",
            ReferencedDataNotFound => $"{operation}: the card has no such data object or key",
            NotEnoughMemory => $"{operation}: the card has not enough memory for the data",
            StatusWords.WrongLength => $"{operation}: the card refused the length of the data",
            _ => $"{operation} failed with an unexpected status word",
        },
        StatusWords.Format(sw));

    public DeviceErrorException Malformed(string operation, Exception inner) =>
        TokenErrors.Device(Token, $"the card's answer to {operation} is malformed: {inner.Message}", "malformed response", inner);
}
