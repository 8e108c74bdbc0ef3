using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>A slot of a loaded module. The methods throw <see cref="Pkcs11CallException"/> for anything but CKR_OK.</summary>
internal sealed unsafe class Pkcs11Slot(Cryptoki module, ulong id)
{
    public ulong Id { get; } = id;

    public Pkcs11TokenInfo GetTokenInfo()
    {
        CkTokenInfo info;
        Cryptoki.Check(module.C_GetTokenInfo((nuint)Id, &info), "C_GetTokenInfo");
        return Pkcs11TokenInfo.From(info);
    }

    public Pkcs11SlotInfo GetSlotInfo()
    {
        CkSlotInfo info;
        Cryptoki.Check(module.C_GetSlotInfo((nuint)Id, &info), "C_GetSlotInfo");
        return Pkcs11SlotInfo.From(info);
    }

    /// <summary>A serial session (the only kind there is), read-write or read-only.</summary>
    public Pkcs11Session OpenSession(bool readWrite)
    {
        nuint flags = (nuint)(CKF.CKF_SERIAL_SESSION | (readWrite ? CKF.CKF_RW_SESSION : 0));
        nuint handle;
        Cryptoki.Check(module.C_OpenSession((nuint)Id, flags, &handle), "C_OpenSession");
        return new Pkcs11Session(module, handle);
    }
}
