using KeyCustody.Daemon.Keys;
using Wire = KeyCustody.Protos.V1;

namespace KeyCustody.Daemon.Grpc;

/// <summary>A key's <see cref="KeyTrust"/> as the wire's KeyProvenance.</summary>
internal static class ProvenanceMessages
{
    public static Wire.KeyProvenance ToProto(KeyEntry key)
    {
        var trust = key.Trust;
        var record = trust.Provenance;
        var message = new Wire.KeyProvenance
        {
            Origin = KeyProvenance.Name(record?.Origin ?? KeyOriginKind.Unknown),
            By = record?.By ?? string.Empty,
            At = record?.At?.ToUnixTimeSeconds() ?? 0,
            Attestation = trust.Attestation.Status.ToString().ToLowerInvariant(),
            AttestationDetail = trust.Attestation.Detail,
            AttestationRoot = trust.Attestation.Attested?.RootSubject ?? string.Empty,
            AttestationRootSha256 = trust.Attestation.Attested?.RootSha256 ?? string.Empty,
            CertificateSha256 = trust.Attestation.Attested?.CertificateSha256 ?? string.Empty,
            Trusted = trust.Trusted,
            UntrustedReason = trust.WhyNot ?? string.Empty,
        };
        if (record?.Accepted is { } accepted)
        {
            message.Accepted = Decision(accepted);
        }

        if (record?.Rejected is { } rejected)
        {
            message.Rejected = Decision(rejected);
        }

        return message;
    }

    private static Wire.KeyDecision Decision(Keys.KeyDecision d) => new() { By = d.By, At = d.At.ToUnixTimeSeconds(), Reason = d.Reason };
}
