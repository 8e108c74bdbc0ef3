using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Cli.Migration;

/// <summary>What attestations of newly generated keys must chain to, or that a token without attestation is accepted.</summary>
internal sealed record AttestationOptions(X509Certificate2Collection Roots, X509Certificate2Collection Intermediates, bool AllowUnattested);
