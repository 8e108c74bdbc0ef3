using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyCustody.Tests.Shared;

/// <summary>
/// Key pairs written into a SoftHSM2 token the way Yubico's ykcs11 presents a YubiKey's PIV slots (checked against
/// the real ykcs11 in Ykcs11Tests): the halves labelled differently ("Private key for Digital Signature" / "Public key
/// for Digital Signature"), paired by CKA_ID (9c = 02), the slot-9c key with CKA_ALWAYS_AUTHENTICATE. Also an ECDSA
/// P-256 pair labelled "ecdsa" (id 30) and, on request, a public key without its private half. Written through
/// Pkcs11Interop in this process, which initialises and finalises the module: call it while nothing else in the
/// process has it open. The configuration is set in the native environment only (SoftHSM2 reads it there), so child
/// processes started later do not inherit it.
/// </summary>
internal static class Ykcs11LikeLayout
{
    public const string Signature = "Digital Signature";
    public const string Authentication = "PIV Authentication";

    private const ulong CkkEcEdwards = 0x40;
    private const ulong CkmEcEdwardsKeyPairGen = 0x1055;
    private static readonly byte[] Edwards25519 = [0x13, 0x0C, .. "edwards25519"u8];
    private static readonly byte[] P256 = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

    public static void Write(string module, string softhsmConfig, string tokenLabel, string pin, IEnumerable<(byte Id, string Slot, bool AlwaysAuthenticate)> pairs, string? publicOnlyLabel = null)
    {
        NativeEnvironment.SetNative("SOFTHSM2_CONF", softhsmConfig);
        try
        {
            // Pkcs11Interop 5.3.0 P/Invokes "libdl", which Debian 12 has only as libdl.so.2.
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, _, _) =>
                name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // An earlier call in this process installed it already.
        }

        var factories = new Pkcs11InteropFactories();
        using var library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, module, AppType.MultiThreaded);
        var slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == tokenLabel);
        using var session = slot.OpenSession(SessionType.ReadWrite);
        session.Login(CKU.CKU_USER, pin);
        var a = session.Factories.ObjectAttributeFactory;
        foreach (var (id, name, always) in pairs)
        {
            session.GenerateKeyPair(
                session.Factories.MechanismFactory.Create(CkmEcEdwardsKeyPairGen),
                [a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_VERIFY, true), a.Create(CKA.CKA_KEY_TYPE, CkkEcEdwards), a.Create(CKA.CKA_EC_PARAMS, Edwards25519),
                    a.Create(CKA.CKA_LABEL, $"Public key for {name}"), a.Create(CKA.CKA_ID, new[] { id })],
                [a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_PRIVATE, true), a.Create(CKA.CKA_SENSITIVE, true), a.Create(CKA.CKA_SIGN, true),
                    a.Create(CKA.CKA_KEY_TYPE, CkkEcEdwards), a.Create(CKA.CKA_LABEL, $"Private key for {name}"), a.Create(CKA.CKA_ID, new[] { id }),
                    a.Create(CKA.CKA_ALWAYS_AUTHENTICATE, always)],
                out _,
                out _);
        }

        session.GenerateKeyPair(
            session.Factories.MechanismFactory.Create(CKM.CKM_EC_KEY_PAIR_GEN),
            [a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_EC_PARAMS, P256), a.Create(CKA.CKA_LABEL, "ecdsa"), a.Create(CKA.CKA_ID, new byte[] { 0x30 })],
            [a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_PRIVATE, true), a.Create(CKA.CKA_SIGN, true), a.Create(CKA.CKA_LABEL, "ecdsa"), a.Create(CKA.CKA_ID, new byte[] { 0x30 })],
            out _,
            out _);

        if (publicOnlyLabel is not null)
        {
            // The public half of a fresh pair, whose private half is then destroyed: a key the token no longer holds.
            session.GenerateKeyPair(
                session.Factories.MechanismFactory.Create(CkmEcEdwardsKeyPairGen),
                [a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_VERIFY, true), a.Create(CKA.CKA_KEY_TYPE, CkkEcEdwards), a.Create(CKA.CKA_EC_PARAMS, Edwards25519),
                    a.Create(CKA.CKA_LABEL, publicOnlyLabel), a.Create(CKA.CKA_ID, new byte[] { 0x40 })],
                [a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_PRIVATE, true), a.Create(CKA.CKA_SIGN, true), a.Create(CKA.CKA_KEY_TYPE, CkkEcEdwards),
                    a.Create(CKA.CKA_LABEL, publicOnlyLabel), a.Create(CKA.CKA_ID, new byte[] { 0x40 })],
                out _,
                out var privateKey);
            session.DestroyObject(privateKey);
        }

        session.Logout();
    }
}
