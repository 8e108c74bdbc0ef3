using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Tokens.OpenPgp.Commands;
using KeyCustody.Tokens.OpenPgp.Data;

namespace KeyCustody.Tokens.OpenPgp;

/// <summary>Generation, import (master backups, migration) and attestation.</summary>
public sealed partial class OpenPgpToken
{
    public Task<TokenKey> GenerateKeyAsync(KeyGenerationRequest request, TokenInteraction interaction, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(interaction);
        return WriteKeyAsync(request, interaction, "key generation", (session, slot, _) => session.Generate(slot), attest: true, cancellation);
    }

    public async Task<TokenKey> ImportKeyAsync(KeyGenerationRequest request, Secret seed, TokenInteraction interaction, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(interaction);
        var expected = Ed25519Check.PublicKeyOf(seed.Span);
        var key = await WriteKeyAsync(
            request,
            interaction,
            "key import",
            (session, slot, attributes) =>
            {
                session.Import(slot, seed.Span, attributes.ImportsWithPublicKey ? expected : default);
                return session.ReadPublicKey(slot);
            },
            attest: false,
            cancellation).ConfigureAwait(false);
        return CryptographicOperations.FixedTimeEquals(key.PublicKey, expected)
            ? key
            : throw TokenErrors.Device(Name, "the card reports another public key than the imported seed's", "import check failed");
    }

    /// <summary>
    /// The statement GET ATTESTATION wrote into the key's cardholder certificate when KeyCustody generated it, with the
    /// card's attestation certificate (FC) that chains it to the Yubico OPGP CA (or hw-sim's root).
    /// </summary>
    public KeyAttestation Attest(string keyId, CancellationToken cancellation = default)
    {
        var slot = ParseSlot(keyId);
        return Fresh(
            session =>
            {
                var info = RequireEd25519(session, slot);
                if (info.Status == KeyStatus.Imported)
                {
                    throw TokenErrors.NotSupported(Name, $"attesting the {slot.Describe}: it was imported, and a card attests only keys it generated");
                }

                var intermediate = session.GetAttestationCertificate()
                    ?? throw TokenErrors.NotSupported(Name, "attestation (the card has no attestation certificate, DO FC: only YubiKeys 5.2+ attest OpenPGP keys)");
                var statement = session.GetCertificate(slot)
                    ?? throw TokenErrors.NotSupported(Name, $"attestation of the {slot.Describe}: the card holds no statement for it (KeyCustody makes one when it generates the key with the PIN at hand; for a key made elsewhere, `ykman openpgp keys attest {slot.Id}`)");
                if (!Certifies(statement, info.PublicKey!))
                {
                    throw TokenErrors.NotSupported(Name, $"attestation of the {slot.Describe}: the certificate the card holds for it is not a statement about the key now there (it was replaced since)");
                }

                return new KeyAttestation(statement, [intermediate]);
            },
            cancellation);
    }

    /// <summary>
    /// Generation and import: check everything that could refuse before anything changes, ask for the admin PIN (and
    /// the PIN, to attest), then in one transaction: VERIFY PW3, Ed25519 attributes, <paramref name="write"/>, creation
    /// time and fingerprint (so GnuPG sees the key), touch flag, PIN policy, and the attestation statement.
    /// </summary>
    private async Task<TokenKey> WriteKeyAsync(
        KeyGenerationRequest request, TokenInteraction interaction, string operation, Func<OpenPgpSession, OpenPgpKeySlot, AlgorithmAttributes, byte[]> write, bool attest, CancellationToken cancellation)
    {
        var slot = ParseSlot(request.KeyId);
        await _gate.EnterAsync(Name, operation, cancellation).ConfigureAwait(false);
        try
        {
            var plan = _link.Run(session => Plan(session, slot, request, operation, attest));
            using var adminPin = await ObtainAdminPin(interaction, slot.Id, plan.AdminRetries, operation, cancellation).ConfigureAwait(false);
            using var userPin = plan.Attest && interaction.Pin is not null
                ? await ObtainUserPin(interaction, slot.Id, plan.UserRetries, cancellation).ConfigureAwait(false)
                : null;
            if (userPin is not null && plan.AttestNeedsTouch)
            {
                await Presence(interaction, slot.Id, "generate", TouchPolicy.Always, cancellation).ConfigureAwait(false);
            }

            if (cancellation.IsCancellationRequested)
            {
                throw TokenErrors.Cancelled(Name, operation);
            }

            var created = (uint)Math.Clamp(_options.Clock().ToUnixTimeSeconds(), 1, uint.MaxValue);
            var key = _link.Run(
                session =>
                {
                    // Both credentials are proven before anything changes on the card.
                    VerifyAdmin(session, adminPin);
                    if (userPin is not null)
                    {
                        VerifyUser(session, Password.Pw1Sign, userPin);
                    }

                    session.PutData(slot.AttributesTag, plan.Attributes.Bytes);
                    var publicKey = write(session, slot, plan.Attributes);
                    session.PutData(slot.GenerationTimeTag, [(byte)(created >> 24), (byte)(created >> 16), (byte)(created >> 8), (byte)created]);
                    session.PutData(slot.FingerprintTag, OpenPgpFingerprint.Ed25519(publicKey, created));
                    if (plan.Touch is { } uif)
                    {
                        session.PutData(slot.UifTag, [(byte)uif, plan.UifFeature]);
                    }

                    if (plan.Pw1ForOneSignature is { } one)
                    {
                        session.PutData(DataCommands.PwStatusBytes, [one ? (byte)0x00 : (byte)0x01]);
                    }

                    if (userPin is not null)
                    {
                        if (session.ProbeVerified(Password.Pw1Sign) != true)
                        {
                            VerifyUser(session, Password.Pw1Sign, userPin);
                        }

                        session.Attest(slot, plan.AttestNeedsTouch);

                        // The PIN was given to attest, not to sign: where the card can, it is not left verified. A
                        // YubiKey before 5.6 cannot (VERIFY FF is unknown to it, as ykman knows): it is not sent there,
                        // and nothing here counts on it: the PIN is treated as not verified either way.
                        if (KnowsVerifyReset)
                        {
                            session.ResetVerification(Password.Pw1Sign);
                        }

                        _link.Verified(Password.Pw1Sign, false);
                    }

                    var data = _link.Refresh(session);
                    var info = _link.Slot(session, slot);
                    if (info.PublicKey is null || !CryptographicOperations.FixedTimeEquals(info.PublicKey, publicKey))
                    {
                        throw TokenErrors.Device(Name, $"after the {operation} the card reports another key in the {slot.Describe}", "read-back mismatch");
                    }

                    return ToKey(info, data);
                },
                mayReconnect: false);
            return key;
        }
        catch (TokenException e) when (!e.NeverReachedTheDevice)
        {
            _link.Forget();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What generation or import will write, or the refusal, decided from the card's data before anything is asked or sent.</summary>
    private WritePlan Plan(OpenPgpSession session, OpenPgpKeySlot slot, KeyGenerationRequest request, string operation, bool attest)
    {
        var data = _link.Refresh(session);
        if (!request.Overwrite && data.HasKey(slot))
        {
            throw TokenErrors.KeyExists(Name, slot.Describe);
        }

        if (!data.Attributes(slot).IsEd25519 && !data.CanChangeAlgorithm)
        {
            throw TokenErrors.NotSupported(Name, $"Ed25519 in the {slot.Describe} (the card cannot change its algorithm from {data.Attributes(slot).Describe()})");
        }

        // The form the card lists (FA), else the slot's own Ed25519 attributes, else the standard form (no FF).
        var listed = data.ExtendedCapabilities.Length > 0 && data.Aid.SpecVersion >= new Version(3, 4) ? session.GetAlgorithmInformation() : null;
        var attributes = AlgorithmAttributes.Ed25519From(listed, slot.AttributesTag)
            ?? (data.Attributes(slot).IsEd25519 ? data.Attributes(slot) : null)
            ?? (listed is null ? AlgorithmAttributes.Ed25519 : throw TokenErrors.NotSupported(Name, $"Ed25519 in the {slot.Describe} (the card's algorithm information does not list it)"));

        if (!attest && !data.CanImportKeys)
        {
            throw TokenErrors.NotSupported(Name, "key import (its extended capabilities say so)");
        }

        bool? oneSignature = (request.PinPolicy, slot == OpenPgpKeySlot.Signature) switch
        {
            (PinPolicy.Default, _) => null,
            (PinPolicy.Never, _) => throw TokenErrors.NotSupported(Name,
                "PIN policy 'never': an OpenPGP card asks for the PIN before any use of a private key; choose 'once' or 'always'"),
            (PinPolicy.Always, false) => throw TokenErrors.NotSupported(Name,
                "PIN policy 'always' for the authentication key (its PIN stays verified until the card is reset); use the signature key (sig) for a PIN before every signature"),
            (PinPolicy.Always, true) => true,
            (PinPolicy.Once, true) => false,
            (PinPolicy.Once, false) => null,
            _ => null,
        };
        if (oneSignature is { } one && one != data.PwStatus.Pw1ForOneSignature && !data.CanChangePw1Policy)
        {
            throw TokenErrors.NotSupported(Name, "changing whether the PIN is valid for one signature or several (C4)");
        }

        if (oneSignature == data.PwStatus.Pw1ForOneSignature)
        {
            oneSignature = null;
        }

        Uif? touch = null;
        var current = data.Touch(slot);
        if (request.TouchPolicy != TouchPolicy.Default)
        {
            var wanted = UifExtensions.FromPolicy(request.TouchPolicy);
            if (current is null)
            {
                if (wanted != Uif.Off)
                {
                    throw TokenErrors.NotSupported(Name, $"touch policy '{request.TouchPolicy.ToString().ToLowerInvariant()}' (the card has no touch flag, UIF)");
                }
            }
            else if (current.Value.ToPolicy() != request.TouchPolicy)
            {
                if (current.Value.IsFixed())
                {
                    throw TokenErrors.NotSupported(Name, $"changing the {slot.Describe}'s fixed touch policy (only a reset of the OpenPGP application clears it)");
                }

                touch = wanted;
            }
        }

        // A YubiKey 5.2+ attests generated keys: it has the attestation certificate's DO (FC) and says GET VERSION.
        bool canAttest = attest && _link.Aid?.Manufacturer == OpenPgpAid.Yubico && _link.Firmware >= new Version(5, 2, 0);
        var pw = data.PwStatus;
        return new WritePlan(attributes, pw.Pw3Retries, pw.Pw1Retries, oneSignature, touch, UifFeature(data, slot), canAttest, canAttest && data.AttestationNeedsTouch);
    }

    /// <summary>VERIFY FF (unverify): every card but a YubiKey before firmware 5.6 (yubikey-manager's unverify_pin requires 5.6.0).</summary>
    private bool KnowsVerifyReset => _link.Aid?.Manufacturer != OpenPgpAid.Yubico || _link.Firmware >= new Version(5, 6, 0);

    /// <summary>The second UIF byte the card uses (20: the button, per general feature management); kept as the card has it.</summary>
    private static byte UifFeature(ApplicationData data, OpenPgpKeySlot slot) => data.TouchFeature(slot) ?? 0x20;

    private static bool Certifies(byte[] certificate, byte[] publicKey)
    {
        try
        {
            using var cert = X509CertificateLoader.LoadCertificate(certificate);
            return cert.PublicKey.Oid.Value == "1.3.101.112" && CryptographicOperations.FixedTimeEquals(cert.PublicKey.EncodedKeyValue.RawData, publicKey);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private sealed record WritePlan(AlgorithmAttributes Attributes, int AdminRetries, int UserRetries, bool? Pw1ForOneSignature, Uif? Touch, byte UifFeature, bool Attest, bool AttestNeedsTouch);
}
