using System.Runtime.InteropServices;

namespace KeyCustody.Tokens.Pkcs11.Native;

// The information structures the module fills in, laid out as C lays them out on Linux (natural alignment, CK_ULONG =
// nuint: 64 bits on LP64). Character fields are fixed byte arrays, blank-padded UTF-8 that Text.Padded reads. Sizes
// on x86_64, checked in the tests against gcc with p11-kit's pkcs11.h: CK_INFO 88, CK_SLOT_INFO 112, CK_TOKEN_INFO 208,
// CK_SESSION_INFO 32.

/// <summary>CK_VERSION.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CkVersion
{
    public byte Major;
    public byte Minor;

    /// <summary>As Pkcs11Interop printed it (and our docs show): "major.minor", both decimal, e.g. 2.72 for ykcs11 2.7.2.</summary>
    public override readonly string ToString() => $"{Major}.{Minor}";
}

/// <summary>CK_INFO (C_GetInfo).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkInfo
{
    public CkVersion CryptokiVersion;
    public fixed byte ManufacturerId[32];
    public nuint Flags;
    public fixed byte LibraryDescription[32];
    public CkVersion LibraryVersion;
}

/// <summary>CK_SLOT_INFO (C_GetSlotInfo).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkSlotInfo
{
    public fixed byte SlotDescription[64];
    public fixed byte ManufacturerId[32];
    public nuint Flags;
    public CkVersion HardwareVersion;
    public CkVersion FirmwareVersion;
}

/// <summary>CK_TOKEN_INFO (C_GetTokenInfo).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkTokenInfo
{
    public fixed byte Label[32];
    public fixed byte ManufacturerId[32];
    public fixed byte Model[16];
    public fixed byte SerialNumber[16];
    public nuint Flags;
    public nuint MaxSessionCount;
    public nuint SessionCount;
    public nuint MaxRwSessionCount;
    public nuint RwSessionCount;
    public nuint MaxPinLen;
    public nuint MinPinLen;
    public nuint TotalPublicMemory;
    public nuint FreePublicMemory;
    public nuint TotalPrivateMemory;
    public nuint FreePrivateMemory;
    public CkVersion HardwareVersion;
    public CkVersion FirmwareVersion;
    public fixed byte UtcTime[16];
}

/// <summary>CK_SESSION_INFO (C_GetSessionInfo).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CkSessionInfo
{
    public nuint SlotId;
    public nuint State;
    public nuint Flags;
    public nuint DeviceError;
}
