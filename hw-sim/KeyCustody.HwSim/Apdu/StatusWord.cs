namespace KeyCustody.HwSim.Apdu;

/// <summary>The ISO 7816 / YubiKey PIV / OpenPGP card status words this card answers with.</summary>
public static class StatusWord
{
    public const ushort Success = 0x9000;
    public const ushort MoreDataBase = 0x6100;

    /// <summary>62 85: the selected application is in termination state (OpenPGP after TERMINATE DF).</summary>
    public const ushort TerminationState = 0x6285;
    public const ushort VerifyFailBase = 0x63C0;
    public const ushort WrongLength = 0x6700;
    public const ushort SecurityStatusNotSatisfied = 0x6982;
    public const ushort AuthenticationBlocked = 0x6983;
    public const ushort DataInvalid = 0x6984;
    public const ushort ConditionsNotSatisfied = 0x6985;
    public const ushort IncorrectData = 0x6A80;
    public const ushort FunctionNotSupported = 0x6A81;
    public const ushort NotFound = 0x6A82;
    public const ushort NoSpace = 0x6A84;
    public const ushort ReferenceNotFound = 0x6A88;
    public const ushort LastCommandOfChainExpected = 0x6883;
    public const ushort WrongParameters = 0x6B00;
    public const ushort InstructionNotSupported = 0x6D00;
    public const ushort ClassNotSupported = 0x6E00;

    /// <summary><c>63 Cx</c>, x capped at 15 as the card does.</summary>
    public static ushort RetriesLeft(int retries) => (ushort)(VerifyFailBase | Math.Min(retries, 15));
}
