using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>What C_GetInfo says of the module; versions as "major.minor".</summary>
internal sealed record Pkcs11LibraryInfo(string ManufacturerId, string LibraryDescription, string LibraryVersion)
{
    public static unsafe Pkcs11LibraryInfo From(in CkInfo info)
    {
        fixed (CkInfo* p = &info)
        {
            return new(PaddedText.Read(p->ManufacturerId, 32), PaddedText.Read(p->LibraryDescription, 32), p->LibraryVersion.ToString());
        }
    }
}

/// <summary>What C_GetSlotInfo says of a slot: only whether it is a hardware slot matters to us.</summary>
internal sealed record Pkcs11SlotInfo(bool HardwareSlot)
{
    public static Pkcs11SlotInfo From(in CkSlotInfo info) => new(((ulong)info.Flags & CKF.CKF_HW_SLOT) != 0);
}

/// <summary>What C_GetTokenInfo says of a token; text fields without their padding, versions as "major.minor".</summary>
internal sealed record Pkcs11TokenInfo(string Label, string ManufacturerId, string Model, string SerialNumber, ulong Flags, ulong MaxSessionCount, string FirmwareVersion)
{
    public bool TokenInitialized => (Flags & CKF.CKF_TOKEN_INITIALIZED) != 0;

    public bool UserPinLocked => (Flags & CKF.CKF_USER_PIN_LOCKED) != 0;

    public bool UserPinFinalTry => (Flags & CKF.CKF_USER_PIN_FINAL_TRY) != 0;

    /// <summary>CK_EFFECTIVELY_INFINITE is 0 and CK_UNAVAILABLE_INFORMATION all ones, as the module gives them.</summary>
    public static unsafe Pkcs11TokenInfo From(in CkTokenInfo info)
    {
        fixed (CkTokenInfo* p = &info)
        {
            return new(
                PaddedText.Read(p->Label, 32),
                PaddedText.Read(p->ManufacturerId, 32),
                PaddedText.Read(p->Model, 16),
                PaddedText.Read(p->SerialNumber, 16),
                p->Flags,
                p->MaxSessionCount == nuint.MaxValue ? ulong.MaxValue : p->MaxSessionCount,
                p->FirmwareVersion.ToString());
        }
    }
}
