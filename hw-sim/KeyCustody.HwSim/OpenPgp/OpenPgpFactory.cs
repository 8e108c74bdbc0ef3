using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.OpenPgp.Keys;
using KeyCustody.HwSim.State;

namespace KeyCustody.HwSim.OpenPgp;

/// <summary>
/// The OpenPGP applet as a YubiKey leaves the factory: besides the default PINs and RSA 2048 attributes, an attestation
/// key (imported, as the 5.4.3 trace's key information <c>81 02</c> shows) and its certificate in DO FC. A Nitrokey has none.
/// </summary>
internal static class OpenPgpFactory
{
    public static void Create(CardState state, CardOptions options)
    {
        var openPgp = state.OpenPgp;
        if (!openPgp.Profile.YubicoExtensions)
        {
            return;
        }

        var algorithm = AttestationAlgorithm(options.AttestationKeyAlgorithm);
        using var generated = SlotKey.Generate(options.AttestationKeyAlgorithm, PinPolicy.Default, TouchPolicy.Default);
        var key = SlotKey.FromPrivate(generated.Algorithm, generated.PrivateMaterial, PinPolicy.Default, TouchPolicy.Default, KeyOrigin.Imported)!;
        var slot = openPgp.Slot(PgpKey.Attestation);
        slot.ChangeAlgorithm(algorithm);
        slot.SetKey(key);
        openPgp.AttestationCertificate = options.Root.IssueOpenPgpAttestationCertificate(
            state.Identity.Serial, key.ToX509PublicKey(), options.Time.GetUtcNow());
    }

    /// <summary>A YubiKey state file written before the OpenPGP applet existed gets its attestation key now.</summary>
    public static void CompleteOlderState(CardState state, CardOptions options)
    {
        var openPgp = state.OpenPgp;
        if (openPgp.Profile.YubicoExtensions && openPgp.Slot(PgpKey.Attestation).Key is null && openPgp.AttestationCertificate.Length == 0)
        {
            Create(state, options);
            state.Dirty = true;
        }
    }

    private static PgpAlgorithm AttestationAlgorithm(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EccP256 => new PgpAlgorithm(PgpAlgorithm.Ecdsa, 0, PgpAlgorithm.P256Oid),
        KeyAlgorithm.EccP384 => new PgpAlgorithm(PgpAlgorithm.Ecdsa, 0, PgpAlgorithm.P384Oid),
        _ when PivAlgorithms.RsaBits(algorithm) >= 2048 => new PgpAlgorithm(PgpAlgorithm.Rsa, PivAlgorithms.RsaBits(algorithm), []),
        _ => throw new ArgumentException($"an attestation key cannot be {algorithm}", nameof(algorithm)),
    };
}
