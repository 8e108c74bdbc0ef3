namespace KeyCustody.Tokens.Pkcs11;

/// <summary>Which PKCS#11 token to open: the module and the token's label or serial (exactly one).</summary>
public sealed class Pkcs11TokenOptions
{
    /// <summary>The module, e.g. /usr/lib/softhsm/libsofthsm2.so or /usr/lib/x86_64-linux-gnu/pkcs11/yubihsm_pkcs11.so.</summary>
    public required string ModulePath { get; init; }

    public string? TokenLabel { get; init; }

    public string? TokenSerial { get; init; }

    /// <summary>Sessions for parallel signing; null: the number of cores, capped by the token's session limit.</summary>
    public int? PoolSize { get; init; }

    /// <summary>
    /// Whether the keys are in hardware. Null: trust the slot's CKF_HW_SLOT flag (SoftHSM2 says false; set true
    /// only for a module known to front a device, such as YubiHSM 2).
    /// </summary>
    public bool? HardwareBacked { get; init; }

    /// <summary>How long the device waits for a touch (a YubiKey through ykcs11: about 15 s), told to the presence hook.</summary>
    public TimeSpan TouchTimeout { get; init; } = TimeSpan.FromSeconds(15);
}
