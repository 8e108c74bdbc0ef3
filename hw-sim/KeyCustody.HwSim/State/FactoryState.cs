using System.Security.Cryptography;
using KeyCustody.HwSim.Apdu;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.OpenPgp;

namespace KeyCustody.HwSim.State;

/// <summary>
/// A card as it leaves the factory: default PIN, PUK and management key, and an attestation key with its certificate in F9
/// (PIV); the OpenPGP applet with its default PINs and, on a YubiKey, its own attestation key and certificate.
/// </summary>
internal static class FactoryState
{
    public static CardState Create(CardOptions options)
    {
        uint serial = options.Serial ?? (uint)RandomNumberGenerator.GetInt32(10_000_000, 99_999_999);
        var profile = options.Profile ?? CardProfile.YubiKey57;
        var identity = new CardIdentity(serial, [.. profile.Firmware], options.FormFactor);
        var managementAlgorithm = options.ManagementKeyAlgorithm ?? profile.DefaultManagementKeyAlgorithm;
        var state = new CardState(
            identity,
            managementAlgorithm,
            Credential.Factory(Credential.DefaultPin),
            Credential.Factory(Credential.DefaultPuk),
            ManagementKey.Factory(managementAlgorithm),
            profile);
        OpenPgpFactory.Create(state, options);
        if (!profile.HasPiv)
        {
            return state;
        }

        // The attestation key is put there at the factory: imported (so it cannot itself be attested), no PIN, no touch.
        var attestationKey = SlotKey.Generate(options.AttestationKeyAlgorithm, PinPolicy.Never, TouchPolicy.Never);
        var imported = SlotKey.FromPrivate(
            attestationKey.Algorithm, attestationKey.PrivateMaterial, PinPolicy.Never, TouchPolicy.Never, KeyOrigin.Imported)!;
        attestationKey.Dispose();
        state.SetKey(PivSlots.Attestation, imported);

        var certificate = options.Root.IssueAttestationKeyCertificate(serial, imported.ToX509PublicKey(), options.Time.GetUtcNow());
        state.SetObject(DataObjectIds.AttestationCertificate, Tlv.Concat(
            Tlv.Encode(0x70, certificate), Tlv.Encode(0x71, [0x00]), Tlv.Encode(0xFE, [])));
        return state;
    }
}
