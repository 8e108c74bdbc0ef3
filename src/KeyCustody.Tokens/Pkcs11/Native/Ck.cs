namespace KeyCustody.Tokens.Pkcs11.Native;

// The PKCS#11 numbers the product uses, named as the standard names them (pkcs11t.h), as CK_ULONG values. Static
// classes of constants rather than enums: attribute types, object classes and key types are open-ended (vendors and
// 3.0 add their own) and travel as plain CK_ULONGs in templates.

/// <summary>CKA_: attribute types.</summary>
internal static class CKA
{
    public const ulong CKA_CLASS = 0x0;
    public const ulong CKA_TOKEN = 0x1;
    public const ulong CKA_PRIVATE = 0x2;
    public const ulong CKA_LABEL = 0x3;
    public const ulong CKA_KEY_TYPE = 0x100;
    public const ulong CKA_ID = 0x102;
    public const ulong CKA_SENSITIVE = 0x103;
    public const ulong CKA_SIGN = 0x108;
    public const ulong CKA_VERIFY = 0x10a;
    public const ulong CKA_EXTRACTABLE = 0x162;
    public const ulong CKA_LOCAL = 0x163;
    public const ulong CKA_EC_PARAMS = 0x180;
    public const ulong CKA_EC_POINT = 0x181;
    public const ulong CKA_ALWAYS_AUTHENTICATE = 0x202;
    public const ulong CKA_VENDOR_DEFINED = 0x80000000;
}

/// <summary>CKO_: object classes.</summary>
internal static class CKO
{
    public const ulong CKO_PUBLIC_KEY = 0x2;
    public const ulong CKO_PRIVATE_KEY = 0x3;
}

/// <summary>CKK_: key types (CKK_EC_EDWARDS, 3.0, is <see cref="Pkcs11Native.CkkEcEdwards"/>).</summary>
internal static class CKK
{
    public const ulong CKK_RSA = 0x0;
    public const ulong CKK_EC = 0x3;
}

/// <summary>CKU_: user types for C_Login.</summary>
internal static class CKU
{
    public const ulong CKU_USER = 1;
    public const ulong CKU_CONTEXT_SPECIFIC = 2;
}

/// <summary>CKS_: session states (CK_SESSION_INFO.state).</summary>
internal static class CKS
{
    public const ulong CKS_RO_USER_FUNCTIONS = 1;
    public const ulong CKS_RW_USER_FUNCTIONS = 3;
}

/// <summary>CKF_: the flags of C_Initialize, C_OpenSession, CK_SLOT_INFO and CK_TOKEN_INFO that the product reads or sets.</summary>
internal static class CKF
{
    /// <summary>C_Initialize: the module may use the operating system's locks (we call it from many threads).</summary>
    public const ulong CKF_OS_LOCKING_OK = 0x2;

    public const ulong CKF_RW_SESSION = 0x2;

    /// <summary>C_OpenSession: must always be set (PKCS#11 2.01 and later have no parallel sessions).</summary>
    public const ulong CKF_SERIAL_SESSION = 0x4;

    public const ulong CKF_HW_SLOT = 0x4;
    public const ulong CKF_TOKEN_INITIALIZED = 0x400;
    public const ulong CKF_USER_PIN_FINAL_TRY = 0x20000;
    public const ulong CKF_USER_PIN_LOCKED = 0x40000;
}
