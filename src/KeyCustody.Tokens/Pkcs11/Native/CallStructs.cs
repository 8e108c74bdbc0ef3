using System.Runtime.InteropServices;

namespace KeyCustody.Tokens.Pkcs11.Native;

// The structures we pass in, laid out as C lays them out on Linux (natural alignment, CK_ULONG = nuint). Blittable:
// nothing is marshalled, the module reads our memory where it lies (pinned or native).

/// <summary>CK_ATTRIBUTE: a template entry, or a value the module fills in (C_GetAttributeValue).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkAttribute
{
    public nuint Type;
    public void* Value;
    public nuint ValueLength;
}

/// <summary>CK_MECHANISM: the mechanisms we use (CKM_EDDSA for Ed25519, the key-pair generators) take no parameter.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkMechanism
{
    public nuint Mechanism;
    public void* Parameter;
    public nuint ParameterLength;
}

/// <summary>CK_C_INITIALIZE_ARGS: no mutex callbacks; the flags say the module may lock with the OS's primitives.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkInitializeArgs
{
    public void* CreateMutex;
    public void* DestroyMutex;
    public void* LockMutex;
    public void* UnlockMutex;
    public nuint Flags;
    public void* Reserved;
}
