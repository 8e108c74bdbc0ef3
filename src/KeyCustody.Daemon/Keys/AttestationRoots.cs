using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Contract.Attestation;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Keys;

/// <summary>
/// The roots the daemon verifies attestations against: those of its configuration (attestation.roots, for PIV and
/// simulator tokens), and its own simulator root for simulator tokens only (their cards are issued by it; they are
/// never hardware-backed, and a card behind pcscd is never trusted for it). The daemon does not take an admin's word
/// that a key was made on a card: it checks the chain itself, so a key is "attested" only against a root whoever
/// writes the configuration chose.
/// </summary>
public sealed class AttestationRoots : IDisposable
{
    private readonly X509Certificate2Collection _configured;
    private readonly X509Certificate2Collection _intermediates;
    private readonly X509Certificate2? _simulator;

    public AttestationRoots(AttestationSettings settings, X509Certificate2? simulatorRoot)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _configured = AttestationSettings.Load(settings.Roots);
        _intermediates = AttestationSettings.Load(settings.Intermediates);
        _simulator = simulatorRoot;
    }

    /// <summary>Checks <paramref name="evidence"/> for <paramref name="key"/>: its public key, the policies and serial its token reports.</summary>
    public AttestationVerdict Verify(KeyEntry key, KeyAttestation evidence)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(evidence);
        var simulator = key.Token.Settings.Kind == TokenKind.Simulator;
        var roots = new X509Certificate2Collection(_configured);
        if (simulator && _simulator is not null)
        {
            roots.Add(_simulator);
        }

        if (roots.Count == 0 || key.PublicKey is null)
        {
            return AttestationVerdict.None(key.PublicKey is null
                ? "its public key is not known yet"
                : $"no attestation root is configured for {key.Token.Kind} tokens (attestation.roots), so the token's attestation cannot be checked");
        }

        try
        {
            var attested = AttestationCheck.Verify(
                evidence.Certificate,
                evidence.Intermediates,
                roots,
                _intermediates,
                key.PublicKey.Bytes.ToArray(),
                PolicyName(key.Info?.PinPolicy),
                PolicyName(key.Info?.TouchPolicy),
                key.Token.Settings.Serial,
                simulator ? "the daemon's roots (attestation.roots and its simulator root)" : "the daemon's roots (attestation.roots)");
            return new AttestationVerdict(AttestationStatus.Attested, $"made on card {attested.Serial?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} (firmware {attested.Firmware ?? "?"}), chain to {attested.RootSubject}", attested);
        }
        catch (AttestationMismatchException e)
        {
            return AttestationVerdict.Failed(e.Message);
        }
        catch (CryptographicException e)
        {
            return AttestationVerdict.Failed("the attestation certificate cannot be read: " + e.Message);
        }
    }

    public void Dispose()
    {
        foreach (var certificate in _configured.Concat(_intermediates))
        {
            certificate.Dispose();
        }
    }

    private static string PolicyName(PinPolicy? policy) => policy is null or PinPolicy.Default ? "default" : policy.Value.ToString().ToLowerInvariant();

    private static string PolicyName(TouchPolicy? policy) => policy is null or TouchPolicy.Default ? "default" : policy.Value.ToString().ToLowerInvariant();
}
