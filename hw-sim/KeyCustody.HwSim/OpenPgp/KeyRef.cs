namespace KeyCustody.HwSim.OpenPgp;

/// <summary>The OpenPGP card's keys: the three of the specification and Yubico's attestation key.</summary>
public enum PgpKey
{
    Signature = 0,
    Decryption = 1,
    Authentication = 2,

    /// <summary>Yubico's fourth key (key reference 81): it signs attestation statements only.</summary>
    Attestation = 3,
}

/// <summary>The tags and references that belong to each key (OpenPGP card 3.4 §4.4.3; Yubico's PGP/Attestation.adoc for ATT).</summary>
internal static class KeyTags
{
    public static readonly PgpKey[] CardKeys = [PgpKey.Signature, PgpKey.Decryption, PgpKey.Authentication];

    /// <summary>C1, C2, C3; DA for ATT.</summary>
    public static int Attributes(PgpKey key) => key == PgpKey.Attestation ? 0xDA : 0xC1 + (int)key;

    /// <summary>C7, C8, C9; DB for ATT.</summary>
    public static int Fingerprint(PgpKey key) => key == PgpKey.Attestation ? 0xDB : 0xC7 + (int)key;

    /// <summary>CA, CB, CC; DC for ATT.</summary>
    public static int CaFingerprint(PgpKey key) => key == PgpKey.Attestation ? 0xDC : 0xCA + (int)key;

    /// <summary>CE, CF, D0; DD for ATT.</summary>
    public static int GenerationTime(PgpKey key) => key == PgpKey.Attestation ? 0xDD : 0xCE + (int)key;

    /// <summary>D6, D7, D8; D9 for ATT.</summary>
    public static int Uif(PgpKey key) => key == PgpKey.Attestation ? 0xD9 : 0xD6 + (int)key;

    /// <summary>The key reference in CRTs, MSE and DE: 01, 02, 03; 81 for ATT.</summary>
    public static byte Reference(PgpKey key) => key == PgpKey.Attestation ? (byte)0x81 : (byte)(1 + (int)key);

    /// <summary>The occurrence of DO 7F21 that holds the key's certificate: AUT 0, DEC 1, SIG 2 (3.4 §7.2.5).</summary>
    public static int CertificateOccurrence(PgpKey key) => 2 - (int)key;

    public static PgpKey? FromAttributesTag(int tag) => tag switch
    {
        >= 0xC1 and <= 0xC3 => (PgpKey)(tag - 0xC1),
        0xDA => PgpKey.Attestation,
        _ => null,
    };

    public static PgpKey? FromReference(byte reference) => reference switch
    {
        0x01 => PgpKey.Signature,
        0x02 => PgpKey.Decryption,
        0x03 => PgpKey.Authentication,
        0x81 => PgpKey.Attestation,
        _ => null,
    };
}
