using KeyCustody.Matrix.Policy;

namespace KeyCustody.Daemon.Keys;

/// <summary>
/// Whether a key may sign for its role, from what the daemon recorded of it (<see cref="KeyProvenance"/>) and its own
/// check of the attestation. Cross-signing keys (master, self-signing, user-signing: every key whose signature
/// other Matrix clients trust as the user's) need their attestation to verify against the daemon's roots, or an
/// admin's explicit acceptance (audited) of a key that has none; never after an operator rejected the key or when its
/// attestation failed. Server keys live on HSMs that attest nothing and are trusted by configuration.
/// </summary>
public sealed record KeyTrust(KeyProvenance? Provenance, AttestationVerdict Attestation, bool Trusted, string? WhyNot)
{
    /// <summary>Roles whose keys must be attested or accepted before they sign.</summary>
    public static bool RoleNeedsAttestation(KeyRole role) => role != KeyRole.Server;

    /// <summary>Nothing recorded: trusted only where the role does not need it.</summary>
    public static KeyTrust NotRecorded(KeyRole role) =>
        Decide(role, null, AttestationVerdict.None("nothing is recorded of how this key came to be"));

    public static KeyTrust Decide(KeyRole role, KeyProvenance? provenance, AttestationVerdict attestation)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        string? whyNot = null;
        if (provenance?.Rejected is { } rejected)
        {
            whyNot = $"it was rejected by {rejected.By} at {KeyProvenance.Time(rejected.At)} ({rejected.Reason}); replace it";
        }
        else if (attestation.Status == AttestationStatus.Failed)
        {
            whyNot = $"its attestation does not verify ({attestation.Detail}); replace it";
        }
        else if (attestation.Status != AttestationStatus.Attested && provenance?.Accepted is null)
        {
            whyNot = $"it is not attested ({attestation.Detail}) and no admin has accepted it (keycustody keys accept)";
        }

        whyNot = RoleNeedsAttestation(role) ? whyNot : null;
        return new KeyTrust(provenance, attestation, whyNot is null, whyNot);
    }
}
