namespace KeyCustody.Contract.Attestation;

/// <summary>What an attestation certificate says about a key (Yubico's PIV extensions, arc 1.3.6.1.4.1.41482.3, or its OpenPGP ones, .5), and what it chains to.</summary>
/// <param name="PublicKey">The raw Ed25519 public key the certificate certifies.</param>
/// <param name="PinPolicy">"never", "once" or "always" as the card states it; null when absent (always, in an OpenPGP statement).</param>
/// <param name="TouchPolicy">"never", "always" or "cached"; null when absent.</param>
/// <param name="Serial">The card's serial; null when absent.</param>
/// <param name="Firmware">The card's firmware version; null when absent.</param>
/// <param name="RootSubject">The subject of the trusted root the chain ends in.</param>
/// <param name="RootSha256">Hex SHA-256 of that root certificate (DER): its fingerprint.</param>
/// <param name="CertificateSha256">Hex SHA-256 of the attestation certificate (DER).</param>
public sealed record AttestedKey(
    byte[] PublicKey,
    string? PinPolicy,
    string? TouchPolicy,
    uint? Serial,
    string? Firmware,
    string RootSubject,
    string RootSha256,
    string CertificateSha256);
