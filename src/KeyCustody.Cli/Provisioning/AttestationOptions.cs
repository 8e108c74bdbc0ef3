using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Cli.Provisioning;

/// <summary>
/// The operator's side of the attestation gate: the roots (and intermediates a card does not carry) that attestations
/// must chain to, and whether a key without attestation may be accepted (<c>--allow-unattested</c>). No roots means
/// the operator checks nothing, which the commands allow only with <c>--allow-unattested</c>.
/// </summary>
internal sealed record AttestationOptions(X509Certificate2Collection Roots, X509Certificate2Collection Intermediates, bool AllowUnattested);
