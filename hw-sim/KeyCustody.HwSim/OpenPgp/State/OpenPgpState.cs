using System.Security.Cryptography;
using KeyCustody.HwSim.OpenPgp.Keys;

namespace KeyCustody.HwSim.OpenPgp.State;

/// <summary>
/// What the OpenPGP applet keeps across power cycles: PW1, PW3 and the resetting code with their counters, the keys and
/// their DOs, the cardholder DOs, certificates, the signature counter and whether the applet is terminated.
/// </summary>
public sealed class OpenPgpState : IDisposable
{
    private readonly PgpKeySlot[] _slots;

    internal OpenPgpState(OpenPgpProfile profile)
    {
        Profile = profile;
        _slots = [.. Enumerable.Range(0, 4).Select(_ => new PgpKeySlot(PgpAlgorithm.Rsa2048))];
        UserPin = new PgpPassword(PgpPassword.DefaultUserPin, PgpPassword.DefaultRetries, PgpPassword.DefaultRetries);
        AdminPin = new PgpPassword(PgpPassword.DefaultAdminPin, PgpPassword.DefaultRetries, PgpPassword.DefaultRetries);
        ResetCode = new PgpPassword([], PgpPassword.DefaultRetries, 0);
        UserPinValidForSeveral = profile.YubicoExtensions;
        Sex = profile.YubicoExtensions ? [0x39] : [0x30];
    }

    internal OpenPgpProfile Profile { get; }

    public PgpPassword UserPin { get; }
    public PgpPassword AdminPin { get; }
    public PgpPassword ResetCode { get; }

    /// <summary>C4's first byte: 01 (the YubiKey's default) PW1 stays valid for several signatures, 00 (opcard-rs's) for one.</summary>
    public bool UserPinValidForSeveral { get; set; }

    /// <summary>Three bytes in DO 93: signatures made with the signature key since it was generated or imported.</summary>
    public uint SignatureCounter { get; set; }

    /// <summary>TERMINATE DF was done: only SELECT, ACTIVATE FILE and TERMINATE DF work until ACTIVATE.</summary>
    public bool Terminated { get; set; }

    public byte[] Name { get; set; } = [];
    public byte[] Language { get; set; } = [];
    public byte[] Sex { get; set; }
    public byte[] Url { get; set; } = [];
    public byte[] LoginData { get; set; } = [];

    /// <summary>Private use DOs 0101-0104.</summary>
    public byte[][] PrivateDos { get; } = [[], [], [], []];

    /// <summary>DO 7F21 by occurrence: AUT, DEC, SIG.</summary>
    public byte[][] Certificates { get; } = [[], [], []];

    /// <summary>DO FC: the certificate of the attestation key, the template of every statement.</summary>
    public byte[] AttestationCertificate { get; set; } = [];

    /// <summary>DO F9; <c>81 01 00</c> is "no KDF", the only value this card takes.</summary>
    public byte[] Kdf { get; set; } = [0x81, 0x01, 0x00];

    public PgpKeySlot Slot(PgpKey key) => _slots[(int)key];

    /// <summary>
    /// ACTIVATE FILE after TERMINATE DF: everything back to the factory except the attestation key, its DOs and certificate
    /// (Yubico: "The attestation key and certificate will not be cleared out by a reset of the device").
    /// </summary>
    public void FactoryReset()
    {
        foreach (var key in KeyTags.CardKeys)
        {
            var slot = Slot(key);
            slot.ChangeAlgorithm(PgpAlgorithm.Rsa2048);
            slot.DeleteKey();
            slot.SetCaFingerprint(new byte[20]);
            slot.Uif = 0;
        }

        UserPin.Set(PgpPassword.DefaultUserPin);
        AdminPin.Set(PgpPassword.DefaultAdminPin);
        ResetCode.Set([]);
        UserPin.SetMaxRetries(PgpPassword.DefaultRetries);
        AdminPin.SetMaxRetries(PgpPassword.DefaultRetries);
        ResetCode.SetMaxRetries(PgpPassword.DefaultRetries);
        UserPinValidForSeveral = Profile.YubicoExtensions;
        SignatureCounter = 0;
        Name = [];
        Language = [];
        Sex = Profile.YubicoExtensions ? [0x39] : [0x30];
        Url = [];
        LoginData = [];
        for (int i = 0; i < 4; i++)
        {
            CryptographicOperations.ZeroMemory(PrivateDos[i]);
            PrivateDos[i] = [];
        }

        for (int i = 0; i < 3; i++)
        {
            Certificates[i] = [];
        }

        Kdf = [0x81, 0x01, 0x00];
        Terminated = false;
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }

        UserPin.Dispose();
        AdminPin.Dispose();
        ResetCode.Dispose();
        foreach (var value in PrivateDos)
        {
            CryptographicOperations.ZeroMemory(value);
        }
    }
}
