using KeyCustody.Contract.Attestation;

namespace KeyCustody.Daemon.Keys;

public enum AttestationStatus
{
    /// <summary>There is no attestation the daemon could check (the token cannot attest, the key was imported, no root is configured).</summary>
    None,
    /// <summary>The token's attestation verifies against a root the daemon is configured with.</summary>
    Attested,
    /// <summary>There is an attestation and it does not verify: the key is not what the token claims, or not from a trusted card.</summary>
    Failed,
}

/// <summary>What the daemon's own check of a key's attestation found; <see cref="Detail"/> says it in words.</summary>
public sealed record AttestationVerdict(AttestationStatus Status, string Detail, AttestedKey? Attested)
{
    public static AttestationVerdict None(string why) => new(AttestationStatus.None, why, null);

    public static AttestationVerdict Failed(string why) => new(AttestationStatus.Failed, why, null);
}
