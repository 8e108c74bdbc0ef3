namespace KeyCustody.Tokens.Pkcs11.Native;

/// <summary>
/// One loaded PKCS#11 module: its CK_FUNCTION_LIST, read by index into unmanaged function pointers. No delegates and
/// no runtime marshalling, so it works compiled with Native AOT and trimmed (Pkcs11Interop's
/// Marshal.PtrToStructure and GetDelegateForFunctionPointer do not: "CK_FUNCTION_LIST is missing structure
/// marshalling data"). Only the functions the product calls are bound; each method is the C function of the same
/// name, returns the module's CKR, and leaves pinning to the caller (Pkcs11Session, Pkcs11Slot). Thread safety is the
/// module's: we initialise it with CKF_OS_LOCKING_OK.
/// </summary>
/// <remarks>
/// Linux LP64 ABI: CK_ULONG is nuint, structures have natural alignment, the calling convention is the C one. The
/// function list is the 2.40 one (a 3.0 module's CK_FUNCTION_LIST_3_0 begins with the same entries); we need no 3.0
/// function, only 3.0's mechanism and key type numbers, so C_GetFunctionList is enough and C_GetInterface unneeded.
/// </remarks>
internal sealed unsafe class Cryptoki
{
    // Position of each function in CK_FUNCTION_LIST after its CK_VERSION (pkcs11.h, checked against gcc in the tests).
    private const int Initialize = 0;
    private const int Finalize = 1;
    private const int GetInfo = 2;
    private const int GetSlotList = 4;
    private const int GetSlotInfo = 5;
    private const int GetTokenInfo = 6;
    private const int OpenSession = 12;
    private const int CloseSession = 13;
    private const int GetSessionInfo = 15;
    private const int Login = 18;
    private const int Logout = 19;
    private const int DestroyObject = 22;
    private const int GetAttributeValue = 24;
    private const int FindObjectsInit = 26;
    private const int FindObjects = 27;
    private const int FindObjectsFinal = 28;
    private const int SignInit = 42;
    private const int Sign = 43;
    private const int GenerateKeyPair = 59;

    private static readonly (int Index, string Name)[] Used =
    [
        (Initialize, "C_Initialize"), (Finalize, "C_Finalize"), (GetInfo, "C_GetInfo"), (GetSlotList, "C_GetSlotList"),
        (GetSlotInfo, "C_GetSlotInfo"), (GetTokenInfo, "C_GetTokenInfo"), (OpenSession, "C_OpenSession"),
        (CloseSession, "C_CloseSession"), (GetSessionInfo, "C_GetSessionInfo"), (Login, "C_Login"), (Logout, "C_Logout"),
        (DestroyObject, "C_DestroyObject"), (GetAttributeValue, "C_GetAttributeValue"), (FindObjectsInit, "C_FindObjectsInit"),
        (FindObjects, "C_FindObjects"), (FindObjectsFinal, "C_FindObjectsFinal"), (SignInit, "C_SignInit"), (Sign, "C_Sign"),
        (GenerateKeyPair, "C_GenerateKeyPair"),
    ];

    private readonly nint _library;
    private readonly nint* _functions;

    private Cryptoki(string path, nint library, nint* functions)
    {
        Path = path;
        _library = library;
        _functions = functions;
    }

    /// <summary>The module's file, to name it when it answers what PKCS#11 does not allow.</summary>
    public string Path { get; }

    /// <summary>
    /// Loads the module and reads its function list; null with the reason (the loader's own words, or what the module
    /// lacks) in <paramref name="error"/>. A module whose C_GetFunctionList fails throws <see cref="Pkcs11CallException"/>.
    /// </summary>
    public static Cryptoki? Load(string path, out string? error)
    {
        var library = DynamicLoader.Open(path, out error);
        if (library == 0)
        {
            return null;
        }

        var getFunctionList = (delegate* unmanaged[Cdecl]<byte**, nuint>)DynamicLoader.Symbol(library, "C_GetFunctionList");
        if (getFunctionList is null)
        {
            DynamicLoader.Close(library);
            error = "it exports no C_GetFunctionList (not a PKCS#11 module)";
            return null;
        }

        byte* list = null;
        var rv = Rv(getFunctionList(&list));
        if (rv != CKR.CKR_OK || list is null)
        {
            DynamicLoader.Close(library);
            throw new Pkcs11CallException("C_GetFunctionList", rv == CKR.CKR_OK ? CKR.CKR_GENERAL_ERROR : rv);
        }

        // The entries follow CK_VERSION (two bytes), padded to a pointer's alignment.
        var functions = (nint*)(list + sizeof(nint));
        foreach (var (index, name) in Used)
        {
            if (functions[index] == 0)
            {
                DynamicLoader.Close(library);
                error = $"its function list has no {name}";
                return null;
            }
        }

        return new Cryptoki(path, library, functions);
    }

    /// <summary>C_Initialize with CKF_OS_LOCKING_OK: we call from many threads, and the OS's locks are the module's to take.</summary>
    public CKR C_Initialize()
    {
        var args = new CkInitializeArgs { Flags = (nuint)CKF.CKF_OS_LOCKING_OK };
        return Rv(((delegate* unmanaged[Cdecl]<CkInitializeArgs*, nuint>)_functions[Initialize])(&args));
    }

    public CKR C_Finalize() => Rv(((delegate* unmanaged[Cdecl]<void*, nuint>)_functions[Finalize])(null));

    public CKR C_GetInfo(CkInfo* info) => Rv(((delegate* unmanaged[Cdecl]<CkInfo*, nuint>)_functions[GetInfo])(info));

    public CKR C_GetSlotList(bool tokenPresent, nuint* slots, nuint* count) =>
        Rv(((delegate* unmanaged[Cdecl]<byte, nuint*, nuint*, nuint>)_functions[GetSlotList])(tokenPresent ? (byte)1 : (byte)0, slots, count));

    public CKR C_GetSlotInfo(nuint slot, CkSlotInfo* info) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, CkSlotInfo*, nuint>)_functions[GetSlotInfo])(slot, info));

    public CKR C_GetTokenInfo(nuint slot, CkTokenInfo* info) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, CkTokenInfo*, nuint>)_functions[GetTokenInfo])(slot, info));

    /// <summary>No notification callback (we never ask for one), no application pointer.</summary>
    public CKR C_OpenSession(nuint slot, nuint flags, nuint* session) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, nuint, void*, void*, nuint*, nuint>)_functions[OpenSession])(slot, flags, null, null, session));

    public CKR C_CloseSession(nuint session) => Rv(((delegate* unmanaged[Cdecl]<nuint, nuint>)_functions[CloseSession])(session));

    public CKR C_GetSessionInfo(nuint session, CkSessionInfo* info) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, CkSessionInfo*, nuint>)_functions[GetSessionInfo])(session, info));

    public CKR C_Login(nuint session, nuint userType, byte* pin, nuint pinLength) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, nuint, byte*, nuint, nuint>)_functions[Login])(session, userType, pin, pinLength));

    public CKR C_Logout(nuint session) => Rv(((delegate* unmanaged[Cdecl]<nuint, nuint>)_functions[Logout])(session));

    public CKR C_DestroyObject(nuint session, nuint handle) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, nuint, nuint>)_functions[DestroyObject])(session, handle));

    public CKR C_GetAttributeValue(nuint session, nuint handle, CkAttribute* template, nuint count) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, nuint, CkAttribute*, nuint, nuint>)_functions[GetAttributeValue])(session, handle, template, count));

    public CKR C_FindObjectsInit(nuint session, CkAttribute* template, nuint count) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, CkAttribute*, nuint, nuint>)_functions[FindObjectsInit])(session, template, count));

    public CKR C_FindObjects(nuint session, nuint* handles, nuint maximum, nuint* count) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, nuint*, nuint, nuint*, nuint>)_functions[FindObjects])(session, handles, maximum, count));

    public CKR C_FindObjectsFinal(nuint session) => Rv(((delegate* unmanaged[Cdecl]<nuint, nuint>)_functions[FindObjectsFinal])(session));

    public CKR C_SignInit(nuint session, CkMechanism* mechanism, nuint key) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, CkMechanism*, nuint, nuint>)_functions[SignInit])(session, mechanism, key));

    public CKR C_Sign(nuint session, byte* data, nuint dataLength, byte* signature, nuint* signatureLength) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, byte*, nuint, byte*, nuint*, nuint>)_functions[Sign])(session, data, dataLength, signature, signatureLength));

    public CKR C_GenerateKeyPair(
        nuint session, CkMechanism* mechanism, CkAttribute* publicTemplate, nuint publicCount, CkAttribute* privateTemplate, nuint privateCount, nuint* publicKey, nuint* privateKey) =>
        Rv(((delegate* unmanaged[Cdecl]<nuint, CkMechanism*, CkAttribute*, nuint, CkAttribute*, nuint, nuint*, nuint*, nuint>)_functions[GenerateKeyPair])(
            session, mechanism, publicTemplate, publicCount, privateTemplate, privateCount, publicKey, privateKey));

    /// <summary>Unloads the module (after C_Finalize); no method may be called afterwards.</summary>
    public void Unload() => DynamicLoader.Close(_library);

    /// <summary>Throws <see cref="Pkcs11CallException"/> unless <paramref name="rv"/> is CKR_OK.</summary>
    public static void Check(CKR rv, string function)
    {
        if (rv != CKR.CKR_OK)
        {
            throw new Pkcs11CallException(function, rv);
        }
    }

    private static CKR Rv(nuint rv) => (CKR)(ulong)rv;
}
