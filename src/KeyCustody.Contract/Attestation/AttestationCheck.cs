using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Contract.Attestation;

/// <summary>
/// Checks a PIV attestation the way a security team would before trusting a key: the certificate chains
/// through the card's attestation certificate (slot F9) to a root the checker trusts (never a root the card
/// supplies), it certifies exactly the public key expected, and the PIN and touch policies and the serial in it
/// are the ones expected. The daemon checks against the roots it is configured with; <c>keycustody provision</c>
/// checks again against the roots the operator gives, so neither has to take the other's word.
/// </summary>
public static class AttestationCheck
{
    private const string Ed25519Oid = "1.3.101.112";
    private const string FirmwareOid = "1.3.6.1.4.1.41482.3.3";
    private const string SerialOid = "1.3.6.1.4.1.41482.3.7";
    private const string PolicyOid = "1.3.6.1.4.1.41482.3.8";

    /// <summary>Throws <see cref="AttestationMismatchException"/> naming the first thing that does not match.</summary>
    /// <param name="certificate">The attestation certificate (DER) the token issued for the key.</param>
    /// <param name="intermediates">The certificates the token gave with it (PIV: its F9 certificate).</param>
    /// <param name="trustedRoots">The roots the chain must end in.</param>
    /// <param name="extraIntermediates">Intermediates the card does not carry (YubiKey 5.7.4+).</param>
    /// <param name="expectedPublicKey">The raw Ed25519 public key the certificate must certify.</param>
    /// <param name="expectedPin">"never", "once", "always", or "default" to accept any.</param>
    /// <param name="expectedTouch">"never", "always", "cached", or "default" to accept any.</param>
    /// <param name="expectedSerial">The card's serial, when known.</param>
    /// <param name="rootsName">Whose roots these are, for the message when the chain fails.</param>
    public static AttestedKey Verify(
        byte[] certificate,
        IReadOnlyList<byte[]> intermediates,
        X509Certificate2Collection trustedRoots,
        X509Certificate2Collection extraIntermediates,
        byte[] expectedPublicKey,
        string expectedPin,
        string expectedTouch,
        uint? expectedSerial,
        string rootsName = "the roots given with --attestation-root")
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(intermediates);
        ArgumentNullException.ThrowIfNull(trustedRoots);
        ArgumentNullException.ThrowIfNull(extraIntermediates);
        using var leaf = X509CertificateLoader.LoadCertificate(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        // Attestation certificates state where a key was made; Yubico issues them with validity periods that
        // need not cover today, so only the signatures and the path are checked.
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        foreach (var der in intermediates)
        {
            chain.ChainPolicy.ExtraStore.Add(X509CertificateLoader.LoadCertificate(der));
        }

        chain.ChainPolicy.ExtraStore.AddRange(extraIntermediates);
        try
        {
            if (!chain.Build(leaf))
            {
                var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
                throw new AttestationMismatchException($"the attestation does not chain to a trusted root ({why}); the card is not vouched for by {rootsName}");
            }

            var root = chain.ChainElements[^1].Certificate;
            if (leaf.PublicKey.Oid.Value != Ed25519Oid)
            {
                throw new AttestationMismatchException($"the attested key is not Ed25519 (OID {leaf.PublicKey.Oid.Value})");
            }

            var attestedKey = leaf.PublicKey.EncodedKeyValue.RawData;
            if (!CryptographicOperations.FixedTimeEquals(attestedKey, expectedPublicKey))
            {
                throw new AttestationMismatchException("the attestation certifies a different public key from the one generated");
            }

            if (OpenPgpStatement.Is(leaf))
            {
                // A YubiKey's OpenPGP statement: its own extensions, and no PIN policy (see OpenPgpStatement).
                var (pgpTouch, pgpSerial, pgpFirmware) = OpenPgpStatement.Check(leaf, expectedTouch, expectedSerial);
                return new AttestedKey(attestedKey, null, pgpTouch, pgpSerial, pgpFirmware, root.Subject, Sha256(root.RawData), Sha256(certificate));
            }

            var (pin, touch) = Policies(leaf);
            if (expectedPin != "default" && pin != expectedPin)
            {
                throw new AttestationMismatchException($"the PIN policy in the attestation is '{pin ?? "absent"}', but '{expectedPin}' was asked");
            }

            if (expectedTouch != "default" && touch != expectedTouch)
            {
                throw new AttestationMismatchException($"the touch policy in the attestation is '{touch ?? "absent"}', but '{expectedTouch}' was asked");
            }

            var serial = Serial(leaf);
            if (expectedSerial is not null && serial != expectedSerial)
            {
                throw new AttestationMismatchException($"the attestation is from the card with serial {serial?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent"}, not {expectedSerial}");
            }

            return new AttestedKey(attestedKey, pin, touch, serial, Firmware(leaf), root.Subject, Sha256(root.RawData), Sha256(certificate));
        }
        finally
        {
            foreach (var element in chain.ChainPolicy.ExtraStore)
            {
                if (!extraIntermediates.Contains(element))
                {
                    element.Dispose();
                }
            }
        }
    }

    private static (string? Pin, string? Touch) Policies(X509Certificate2 cert)
    {
        var value = cert.Extensions[PolicyOid]?.RawData;
        if (value is not { Length: 2 })
        {
            return (null, null);
        }

        string? pin = value[0] switch { 1 => "never", 2 => "once", 3 => "always", _ => null };
        string? touch = value[1] switch { 1 => "never", 2 => "always", 3 => "cached", _ => null };
        return (pin, touch);
    }

    private static uint? Serial(X509Certificate2 cert)
    {
        var value = cert.Extensions[SerialOid]?.RawData;
        if (value is null)
        {
            return null;
        }

        try
        {
            var reader = new AsnReader(value, AsnEncodingRules.DER);
            var n = reader.ReadInteger();
            return n >= 0 && n <= uint.MaxValue ? (uint)n : null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static string? Firmware(X509Certificate2 cert) =>
        cert.Extensions[FirmwareOid]?.RawData is { Length: 3 } v ? $"{v[0]}.{v[1]}.{v[2]}" : null;

    private static string Sha256(byte[] der) => Convert.ToHexStringLower(SHA256.HashData(der));
}
