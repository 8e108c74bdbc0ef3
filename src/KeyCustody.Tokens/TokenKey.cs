namespace KeyCustody.Tokens;

/// <summary>An Ed25519 key on a token.</summary>
/// <param name="Id">The token's name for it: the PIV slot ("9c"), the OpenPGP key ("sig", "aut"), the PKCS#11 CKA_LABEL, the software key's name.</param>
/// <param name="PublicKey">The raw 32-byte Ed25519 public key.</param>
public sealed record TokenKey(string Id, byte[] PublicKey, PinPolicy PinPolicy, TouchPolicy TouchPolicy, KeyOrigin Origin)
{
    public string PublicKeyHex => Convert.ToHexString(PublicKey).ToLowerInvariant();
}

/// <summary>When the token asks for the PIN before using a key.</summary>
public enum PinPolicy
{
    /// <summary>The token's default for the slot (only in a generation request).</summary>
    Default = 0,
    Never = 1,
    /// <summary>Once per session (PIV), or the token-wide login (PKCS#11).</summary>
    Once = 2,
    /// <summary>Before every operation.</summary>
    Always = 3,
}

/// <summary>When the token waits for a touch before using a key.</summary>
public enum TouchPolicy
{
    /// <summary>The token's default (only in a generation request).</summary>
    Default = 0,
    Never = 1,
    Always = 2,
    /// <summary>One touch is valid for 15 seconds (YubiKey).</summary>
    Cached = 3,
}

public enum KeyOrigin
{
    Unknown = 0,
    Generated = 1,
    Imported = 2,
}

/// <summary>What to generate: the key's name (PIV slot such as "9c"; OpenPGP "sig" or "aut"; PKCS#11 label) and its policies.</summary>
public sealed record KeyGenerationRequest(string KeyId, PinPolicy PinPolicy = PinPolicy.Default, TouchPolicy TouchPolicy = TouchPolicy.Default)
{
    /// <summary>Replace a key already there. Off by default: overwriting a slot destroys its key for good.</summary>
    public bool Overwrite { get; init; }
}

/// <summary>A device's statement about a key: the attestation certificate and the chain to the vendor root.</summary>
/// <param name="Certificate">DER X.509 certificate for the key.</param>
/// <param name="Intermediates">DER certificates between it and the vendor root (for PIV: the F9 certificate).</param>
public sealed record KeyAttestation(byte[] Certificate, IReadOnlyList<byte[]> Intermediates);

/// <summary>A snapshot of the token. Holds no secret.</summary>
/// <param name="Kind">"piv", "openpgp", "pkcs11" or "software".</param>
/// <param name="Serial">The device serial as the vendor prints it.</param>
/// <param name="Firmware">Firmware version, where the device reports one.</param>
/// <param name="PinRetriesLeft">Null when the token does not report a counter (SoftHSM2, software token).</param>
/// <param name="Description">Human-readable: model, label, reader or module.</param>
public sealed record TokenStatus(
    string Kind,
    string Serial,
    Version? Firmware,
    int? PinRetriesLeft,
    bool IsHardwareBacked,
    string Description)
{
    /// <summary>Attempts left for the admin credential where the token counts them (OpenPGP PW3).</summary>
    public int? AdminPinRetriesLeft { get; init; }

    /// <summary>Signatures made with the token's signature key, where it counts them (OpenPGP's 93 in 7A).</summary>
    public long? SignatureCounter { get; init; }
}
