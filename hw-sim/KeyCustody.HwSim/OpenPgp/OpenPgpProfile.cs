namespace KeyCustody.HwSim.OpenPgp;

/// <summary>
/// How one device's OpenPGP applet answers where the specification leaves room or devices differ. The YubiKey values are
/// from a YubiKey 5.4.3 trace (cunicu/go-openpgp-card mockdata) and yubikey-manager; the Nitrokey 3 values from
/// Nitrokey/opcard-rs (the applet it runs).
/// </summary>
internal sealed class OpenPgpProfile
{
    private OpenPgpProfile()
    {
    }

    /// <summary>The manufacturer id in the AID: 0006 Yubico, 000F Nitrokey.</summary>
    public ushort Manufacturer { get; private init; }

    /// <summary>Yubico writes the decimal serial as BCD into the AID (serial 23852774 is 23 85 27 74); Nitrokey binary.</summary>
    public bool SerialAsBcd { get; private init; }

    /// <summary>DO 5F52; the byte three from the end is the life cycle (05 operational, 03 terminated).</summary>
    public byte[] HistoricalBytes { get; private init; } = [];

    /// <summary>DO C0 (ten bytes, version 3 layout).</summary>
    public byte[] ExtendedCapabilities { get; private init; } = [];

    /// <summary>DO 7F66: the largest command and response; longer commands answer 67 00.</summary>
    public int MaxCommandLength { get; private init; }

    public int MaxResponseLength { get; private init; }

    /// <summary>The YubiKey lists 7F66 inside 73 (discretionary data objects), opcard-rs directly in 6E.</summary>
    public bool ExtendedLengthInDiscretionary { get; private init; }

    /// <summary>trussed's MAX_MESSAGE_LENGTH: opcard-rs answers EdDSA/ECDSA signing of more with 6A 84.</summary>
    public int? MaxSignedMessage { get; private init; }

    /// <summary>Yubico's extensions: GET VERSION (F1), SET PIN RETRIES (F2), GET ATTESTATION (FB), the ATT key (DA, D9, DB-DD, FC).</summary>
    public bool YubicoExtensions { get; private init; }

    public Version? FirmwareVersion { get; private init; }

    /// <summary>A wrong PIN: the YubiKey answers 69 82 (5.4.3 trace), opcard-rs 63 Cx.</summary>
    public bool WrongPinAnswersRetries { get; private init; }

    /// <summary>TERMINATE without the Admin PIN: 69 82 on the YubiKey (5.4.3 trace), 69 85 in opcard-rs.</summary>
    public ushort TerminateRefused { get; private init; }

    /// <summary>
    /// VERIFY without data (the PIN status query of 3.x) answers 6A 80 instead of 63 Cx / 90 00 on YubiKey firmware 5.4.3
    /// (OpenSC issue 2565, "Yubikey 5 NFC and 5C NFC (Firmware version: 5.4.3) returns 6A 80 for Verify command without
    /// data"); unverified for 5.7, which answers as the specification says here.
    /// </summary>
    public bool EmptyVerifyRefused { get; private init; }

    /// <summary>
    /// VERIFY with P1 FF (3.x: reset the password's verification) is known: yubikey-manager sends it only to firmware 5.6
    /// and later (<c>unverify_pin</c>: <c>require_version(5, 6, 0)</c>); an older YubiKey answers it as any P1 it does not
    /// know (6B 00, our choice where no trace shows it). opcard-rs knows it.
    /// </summary>
    public bool VerifyResetKnown { get; private init; }

    /// <summary>YubiKey firmware up to 5.4.3 wants a length byte before the SELECT DATA template (yubikey-manager).</summary>
    public bool SelectDataLengthByte { get; private init; }

    /// <summary>The UIF modes a PUT DATA D6-D9 accepts: the YubiKey's five (off, on, fixed, cached, cached-fixed), opcard-rs's three.</summary>
    public IReadOnlyList<byte> UifModes { get; private init; } = [];

    /// <summary>opcard-rs announces ECC attributes with a trailing FF ("import with public key") and wants tag 99 on import.</summary>
    public bool EcImportWithPublicKey { get; private init; }

    /// <summary>The public exponent length in the RSA attributes: 17 bits on the YubiKey, 32 in opcard-rs.</summary>
    public ushort RsaExponentBits { get; private init; }

    /// <summary>MANAGE SECURITY ENVIRONMENT (the last byte of C0).</summary>
    public bool ManageSecurityEnvironment => ExtendedCapabilities[9] != 0;

    public bool KdfAnnounced => (ExtendedCapabilities[0] & 0x01) != 0;

    /// <summary>The largest private DO and login/URL (C0 bytes 7-8).</summary>
    public int MaxSpecialDoLength => (ExtendedCapabilities[6] << 8) | ExtendedCapabilities[7];

    /// <summary>The largest cardholder certificate (C0 bytes 5-6).</summary>
    public int MaxCertificateLength => (ExtendedCapabilities[4] << 8) | ExtendedCapabilities[5];

    public int MaxChallengeLength => (ExtendedCapabilities[2] << 8) | ExtendedCapabilities[3];

    public static OpenPgpProfile YubiKey(Version firmware) => new()
    {
        Manufacturer = 0x0006,
        SerialAsBcd = true,
        HistoricalBytes = [0x00, 0x73, 0x00, 0x00, 0xE0, 0x05, 0x90, 0x00],
        ExtendedCapabilities = [0x7D, 0x00, 0x0B, 0xFE, 0x08, 0x00, 0x00, 0xFF, 0x00, 0x00],
        MaxCommandLength = 0x0BFE,
        MaxResponseLength = 0x0BFE,
        ExtendedLengthInDiscretionary = true,
        MaxSignedMessage = null,
        YubicoExtensions = true,
        FirmwareVersion = firmware,
        WrongPinAnswersRetries = false,
        TerminateRefused = 0x6982,
        SelectDataLengthByte = firmware <= new Version(5, 4, 3),
        EmptyVerifyRefused = firmware <= new Version(5, 4, 3),
        VerifyResetKnown = firmware >= new Version(5, 6, 0),
        UifModes = [0x00, 0x01, 0x02, 0x03, 0x04],
        EcImportWithPublicKey = false,
        RsaExponentBits = 17,
    };

    public static OpenPgpProfile Nitrokey3() => new()
    {
        Manufacturer = 0x000F,
        SerialAsBcd = false,
        HistoricalBytes = [0x00, 0x31, 0xF5, 0x73, 0xC0, 0x01, 0x60, 0x05, 0x90, 0x00],
        ExtendedCapabilities = [0x3F, 0x00, 0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x00, 0x01],
        MaxCommandLength = 0x1DB9,
        MaxResponseLength = 0x1DB9,
        ExtendedLengthInDiscretionary = false,
        MaxSignedMessage = 1024,
        YubicoExtensions = false,
        FirmwareVersion = null,
        WrongPinAnswersRetries = true,
        TerminateRefused = 0x6985,
        SelectDataLengthByte = false,
        VerifyResetKnown = true,
        UifModes = [0x00, 0x01, 0x02],
        EcImportWithPublicKey = true,
        RsaExponentBits = 32,
    };
}
