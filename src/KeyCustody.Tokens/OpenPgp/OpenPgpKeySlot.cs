namespace KeyCustody.Tokens.OpenPgp;

/// <summary>
/// One of the card's key slots that can hold an Ed25519 signing key, with every data object that belongs to it
/// (OpenPGP card 3.4 §4.4.3, §7.2.14): the signature key (PSO:CDS, PW1 mode 81) or the authentication key
/// (INTERNAL AUTHENTICATE, PW1 mode 82). The decryption key is never a signing key (ECDH/X25519 only).
/// </summary>
internal sealed record OpenPgpKeySlot(
    string Id,
    byte KeyRef,
    byte CrtTag,
    byte AttributesTag,
    byte FingerprintTag,
    byte GenerationTimeTag,
    byte UifTag,
    byte Pw1Mode,
    byte CertificateIndex)
{
    /// <summary>The signature key: each use counted in the signature counter (93); PW1 for one or several signatures (C4).</summary>
    public static OpenPgpKeySlot Signature { get; } = new("sig", 0x01, 0xB6, 0xC1, 0xC7, 0xCE, 0xD6, 0x81, 2);

    /// <summary>The authentication key: PW1 (mode 82) stays verified until the card is reset or deselected.</summary>
    public static OpenPgpKeySlot Authentication { get; } = new("aut", 0x03, 0xA4, 0xC3, 0xC9, 0xD0, 0xD8, 0x82, 0);

    public static IReadOnlyList<OpenPgpKeySlot> All { get; } = [Signature, Authentication];

    /// <summary>"sig"/"aut", also GnuPG's "OPENPGP.1"/"OPENPGP.3" (any case); null for anything else.</summary>
    public static OpenPgpKeySlot? Parse(string keyId) => keyId.ToUpperInvariant() switch
    {
        "SIG" or "OPENPGP.1" => Signature,
        "AUT" or "OPENPGP.3" => Authentication,
        _ => null,
    };

    public string Describe => this == Signature ? "signature key (sig)" : "authentication key (aut)";
}
