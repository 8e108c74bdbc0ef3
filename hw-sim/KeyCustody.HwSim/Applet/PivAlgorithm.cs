namespace KeyCustody.HwSim.Applet;

/// <summary>Asymmetric key algorithms this card implements (YubiKey PIV algorithm ids).</summary>
public enum KeyAlgorithm : byte
{
    None = 0x00,
    Rsa3072 = 0x05,
    Rsa1024 = 0x06,
    Rsa2048 = 0x07,
    EccP256 = 0x11,
    EccP384 = 0x14,
    Rsa4096 = 0x16,
    Ed25519 = 0xE0,
    X25519 = 0xE1,
}

/// <summary>Management key algorithms (GENERAL AUTHENTICATE P1 for slot 9B).</summary>
public enum ManagementKeyAlgorithm : byte
{
    None = 0x00,
    TripleDes = 0x03,
    Aes128 = 0x08,
    Aes192 = 0x0A,
    Aes256 = 0x0C,
}

/// <summary>PIN policy codes (tag AA); <see cref="Default"/> resolves per slot.</summary>
public enum PinPolicy : byte
{
    Default = 0x00,
    Never = 0x01,
    Once = 0x02,
    Always = 0x03,
}

/// <summary>Touch policy codes (tag AB); <see cref="Cached"/> is valid for 15 seconds.</summary>
public enum TouchPolicy : byte
{
    Default = 0x00,
    Never = 0x01,
    Always = 0x02,
    Cached = 0x03,
}

/// <summary>Where a slot's key came from (metadata tag 03).</summary>
public enum KeyOrigin : byte
{
    None = 0x00,
    Generated = 0x01,
    Imported = 0x02,
}

/// <summary>Lengths and default values that follow from the algorithm ids.</summary>
public static class PivAlgorithms
{
    /// <summary>Every asymmetric algorithm of firmware 5.7 (RSA 1024 included: only FIPS builds refuse it).</summary>
    public static bool IsSupported(KeyAlgorithm algorithm) =>
        IsRsa(algorithm) || algorithm is KeyAlgorithm.EccP256 or KeyAlgorithm.EccP384 or KeyAlgorithm.Ed25519 or KeyAlgorithm.X25519;

    /// <summary>
    /// What this card's PIV generates and imports: firmware before 5.7 (the 5.4.3 profile) has no Ed25519, X25519 or
    /// RSA 3072/4096 (Yubico.NET.SDK: all came with 5.7); it answers them with 6A 80 like any unknown algorithm.
    /// </summary>
    public static bool IsSupported(KeyAlgorithm algorithm, CardProfile profile) =>
        IsSupported(algorithm)
        && (profile.PivHas57Algorithms || algorithm is not (KeyAlgorithm.Ed25519 or KeyAlgorithm.X25519 or KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096));

    public static bool IsRsa(KeyAlgorithm algorithm) =>
        algorithm is KeyAlgorithm.Rsa1024 or KeyAlgorithm.Rsa2048 or KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096;

    /// <summary>RSA modulus length in bits; 0 for other algorithms.</summary>
    public static int RsaBits(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.Rsa1024 => 1024,
        KeyAlgorithm.Rsa2048 => 2048,
        KeyAlgorithm.Rsa3072 => 3072,
        KeyAlgorithm.Rsa4096 => 4096,
        _ => 0,
    };

    /// <summary>
    /// What may sit in the attestation slot F9: RSA 2048 and larger, P-256, P-384 (Yubico.NET.SDK, PIV attestation:
    /// "The replacement key must be either RSA-2048, RSA-3072, RSA-4096, ECC-P256, or ECC-P384").
    /// </summary>
    public static bool CanAttest(KeyAlgorithm algorithm) =>
        algorithm is KeyAlgorithm.Rsa2048 or KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096 or KeyAlgorithm.EccP256 or KeyAlgorithm.EccP384;

    public static int KeyLength(ManagementKeyAlgorithm algorithm) => algorithm switch
    {
        ManagementKeyAlgorithm.TripleDes => 24,
        ManagementKeyAlgorithm.Aes128 => 16,
        ManagementKeyAlgorithm.Aes192 => 24,
        ManagementKeyAlgorithm.Aes256 => 32,
        _ => 0,
    };

    public static int BlockLength(ManagementKeyAlgorithm algorithm) =>
        algorithm == ManagementKeyAlgorithm.TripleDes ? 8 : 16;
}
