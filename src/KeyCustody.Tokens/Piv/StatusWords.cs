namespace KeyCustody.Tokens.Piv;

/// <summary>Status words the YubiKey PIV applet answers (piv-pcsc-pkcs11.md §1.14).</summary>
internal static class StatusWords
{
    public const ushort Success = 0x9000;
    public const byte MoreDataSw1 = 0x61;
    public const ushort SecurityStatusNotSatisfied = 0x6982;
    public const ushort AuthenticationBlocked = 0x6983;
    public const ushort DataInvalid = 0x6984;
    public const ushort ConditionsNotSatisfied = 0x6985;
    public const ushort IncorrectData = 0x6A80;
    public const ushort FunctionNotSupported = 0x6A81;
    public const ushort FileNotFound = 0x6A82;
    public const ushort ReferenceNotFound = 0x6A88;
    public const ushort WrongLength = 0x6700;
    public const ushort WrongParameters = 0x6B00;
    public const ushort InstructionNotSupported = 0x6D00;
    public const ushort ClassNotSupported = 0x6E00;

    /// <summary>63Cx: a wrong PIN/PUK with x tries left (ykman also accepts 63xx).</summary>
    public static int? RetriesFrom(ushort sw) => sw switch
    {
        AuthenticationBlocked => 0,
        _ when (sw & 0xFFF0) == 0x63C0 => sw & 0x0F,
        _ when (sw & 0xFF00) == 0x6300 => sw & 0xFF,
        _ => null,
    };

    public static string Format(ushort sw) => $"SW {sw:X4}";
}
