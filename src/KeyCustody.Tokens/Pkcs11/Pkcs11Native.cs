namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// The PKCS#11 3.0 numbers for Ed25519 (CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA), Yubico's vendor
/// attributes, and what we read from Yubico's ykcs11 and from CKA_EC_POINT.
/// </summary>
internal static class Pkcs11Native
{
    public const ulong CkkEcEdwards = 0x40;
    public const ulong CkmEcEdwardsKeyPairGen = 0x1055;
    public const ulong CkmEddsa = 0x1057;

    /// <summary>
    /// ykcs11's CKA_YUBICO_TOUCH_POLICY and CKA_YUBICO_PIN_POLICY (ykcs11/pkcs11y.h: CKA_VENDOR_DEFINED + 0x59554200 +
    /// 1 and + 2), one byte with the YubiKey's policy code, on private key objects, since ykcs11 2.3.0.
    /// </summary>
    public const ulong CkaYubicoTouchPolicy = 0x80000000UL + 0x59554200UL + 1;

    public const ulong CkaYubicoPinPolicy = 0x80000000UL + 0x59554200UL + 2;

    /// <summary>The first ykcs11 whose Ed25519 keys work (2.5.0 added them, 2.6.1 fixed their handling).</summary>
    public static Version Ykcs11Ed25519 { get; } = new(2, 6, 1);

    /// <summary>CKA_EC_PARAMS for Ed25519: PrintableString "edwards25519" (the form ykcs11 and SoftHSM2 both accept).</summary>
    public static byte[] Edwards25519Params => [0x13, 0x0C, .. "edwards25519"u8];

    /// <summary>
    /// Yubico's ykcs11 (manufacturer "Yubico (www.yubico.com)", description "PKCS#11 PIV Library (SP-800-73)"): its
    /// version, which it reports as major.(minor × 10 + patch), e.g. 2.72 for 2.7.2. Null for any other module
    /// (YubiHSM 2's module is also Yubico's, but not a PIV library).
    /// </summary>
    public static Version? Ykcs11Version(string manufacturer, string description, string libraryVersion)
    {
        if (!manufacturer.TrimStart().StartsWith("Yubico", StringComparison.Ordinal) || !description.Contains("PIV", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = libraryVersion.Split('.');
        return parts.Length == 2 && int.TryParse(parts[0], out var major) && int.TryParse(parts[1], out var minor)
            ? new Version(major, minor / 10, minor % 10)
            : new Version(0, 0);
    }

    /// <summary>
    /// What an operator must know of this module's version, or null: SoftHSM2 2.6 and earlier (Debian 12 ships 2.6.1)
    /// never free memory they allocate in every Ed25519 signature (C_SignInit decodes the key's CKA_EC_PARAMS into an
    /// ASN.1 string it keeps; fixed upstream in SoftHSMv2 pull requests 858 and 863), so a process signing with them grows
    /// with its signatures. bench/README-daemon.md measures it.
    /// </summary>
    public static string? KnownIssue(string manufacturer, string libraryVersion)
    {
        if (!manufacturer.Trim().Equals("SoftHSM", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = libraryVersion.Split('.');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var major) || !int.TryParse(parts[1], out var minor) || major > 2 || (major == 2 && minor > 6))
        {
            return null;
        }

        // The figure is the steady one (bench/README-daemon.md, the sixth session's SoftHSM2 section): a first reading on a fresh key is
        // inflated by one-time allocations. A build with the fix still reports its version, so it is named here too.
        return $"SoftHSM2 {major}.{minor} keeps memory it allocates in every Ed25519 signature and never gives it back (about "
            + "64 bytes a signature, some 64 MB a million, measured with 2.6.1; fixed upstream in SoftHSMv2 pull requests 858 and "
            + "863): this daemon's memory grows with the signatures it makes on this token. Restart it now and then, or use a "
            + $"SoftHSM2 with the fix (a {major}.{minor} built with it still reports {major}.{minor}: then this warning does not apply)";
    }

    /// <summary>CKA_EC_POINT of an Ed25519 key: DER OCTET STRING (04 20 A) as SoftHSM2 and ykcs11 return it, or raw A.</summary>
    public static byte[]? PublicKeyFromEcPoint(byte[] ecPoint) => ecPoint switch
    {
        { Length: 34 } when ecPoint[0] == 0x04 && ecPoint[1] == 0x20 => ecPoint[2..],
        { Length: 32 } => ecPoint,
        _ => null,
    };
}
