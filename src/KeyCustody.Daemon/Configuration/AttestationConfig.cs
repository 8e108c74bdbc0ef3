namespace KeyCustody.Daemon.Configuration;

/// <summary>
/// The roots the daemon itself trusts for its tokens' attestations (section "attestation"). A key the daemon cannot
/// verify against them is not attested, and a cross-signing key that is not attested signs only after an admin
/// accepts it (Admin.AcceptKey, audited).
/// </summary>
public sealed class AttestationConfig
{
    /// <summary>PEM files of the root CAs PIV attestations must chain to (for YubiKeys: Yubico's PIV attestation roots).</summary>
    public List<string> Roots { get; set; } = [];

    /// <summary>PEM files of intermediate CAs a card does not carry itself (YubiKey 5.7.4 and later).</summary>
    public List<string> Intermediates { get; set; } = [];
}
