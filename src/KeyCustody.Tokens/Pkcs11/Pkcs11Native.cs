using System.Runtime.InteropServices;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>PKCS#11 3.0 values Pkcs11Interop 5.3.0 (v2.40 enums) does not name, and its Linux loading fix.</summary>
internal static class Pkcs11Native
{
    public const ulong CkkEcEdwards = 0x40;
    public const ulong CkmEcEdwardsKeyPairGen = 0x1055;
    public const ulong CkmEddsa = 0x1057;

    /// <summary>CKA_EC_PARAMS for Ed25519: PrintableString "edwards25519" (the form ykcs11 and SoftHSM2 both accept).</summary>
    public static byte[] Edwards25519Params => [0x13, 0x0C, .. "edwards25519"u8];

    private static readonly object ResolverGate = new();
    private static bool _resolverSet;

    /// <summary>
    /// Pkcs11Interop 5.3.0 P/Invokes "libdl", which Debian 12 ships only as libdl.so.2 (Pkcs11Interop #239).
    /// Installed once per process before the first library load.
    /// </summary>
    public static void EnsureLoadable()
    {
        lock (ResolverGate)
        {
            if (_resolverSet || !OperatingSystem.IsLinux())
            {
                return;
            }

            try
            {
                NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, _, _) =>
                    name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero);
            }
            catch (InvalidOperationException)
            {
                // Someone in this process installed a resolver for Pkcs11Interop already; theirs stays.
            }

            _resolverSet = true;
        }
    }

    /// <summary>CKA_EC_POINT of an Ed25519 key: DER OCTET STRING (04 20 A) as SoftHSM2 and ykcs11 return it, or raw A.</summary>
    public static byte[]? PublicKeyFromEcPoint(byte[] ecPoint) => ecPoint switch
    {
        { Length: 34 } when ecPoint[0] == 0x04 && ecPoint[1] == 0x20 => ecPoint[2..],
        { Length: 32 } => ecPoint,
        _ => null,
    };
}
