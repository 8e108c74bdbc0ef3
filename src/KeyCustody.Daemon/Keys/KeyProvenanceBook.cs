using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Keys;

/// <summary>
/// What the daemon knows of how each key came to be, and whether it may sign: records origins (generated, imported,
/// found on the token), fetches a key's attestation from its token once and keeps it, checks it against
/// <see cref="AttestationRoots"/>, records admins' acceptances and rejections, and sets <see cref="KeyEntry.Trust"/>.
/// Every new record is handed to <see cref="Audit"/> (the audit log) before it is written.
/// </summary>
public sealed class KeyProvenanceBook(ProvenanceFile file, AttestationRoots roots, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (KeyProvenance? Record, Ed25519PublicKey? PublicKey, KeyTrust Trust)> _checked = new(StringComparer.Ordinal);

    /// <summary>Receives an audit record for each change (set by the host to append to the audit log).</summary>
    public Action<JsonObject>? Audit { get; set; }

    /// <summary>After a key was read from its token: records a key seen for the first time, fetches its attestation if none is kept.</summary>
    public void Observe(KeyEntry key, ISigningToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(token);
        try
        {
            RecordSeen(key, token);
        }
        catch (Exception e) when (e is DaemonException or IOException or UnauthorizedAccessException)
        {
            // The audit log refused the record (it then refuses every signature), or the state directory cannot be
            // written: nothing was recorded, the key's trust is worked out from what is, and this is tried again later.
        }

        Update(key);
    }

    private void RecordSeen(KeyEntry key, ISigningToken token)
    {
        if (key.PublicKey is not { } publicKey)
        {
            return;
        }

        KeyProvenance? current;
        lock (_lock)
        {
            current = Current(key);
            if (current is null)
            {
                current = new KeyProvenance(publicKey, KeyOriginKind.Found, null, null, null, null, null, null);
                Save(key, current, "found");
            }
        }

        if (current.Evidence is null && current.NoEvidence is null)
        {
            // Outside the lock: the card may be busy with a signature waiting for a touch.
            KeyAttestation? evidence = null;
            string? none = null;
            try
            {
                evidence = token.Attest(key.Settings.KeyId);
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.NotSupported)
            {
                none = e.Message;
            }
            catch (TokenException)
            {
                // Unreachable now: tried again the next time the key is read.
            }

            if (evidence is not null || none is not null)
            {
                lock (_lock)
                {
                    if (Current(key) is { Evidence: null, NoEvidence: null } still)
                    {
                        Save(key, still with { Evidence = evidence, NoEvidence = none }, "attestation");
                    }
                }
            }
        }
    }

    /// <summary>Sets <see cref="KeyEntry.Trust"/> from what is recorded (the token need not be reachable).</summary>
    public void Update(KeyEntry key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            var record = Current(key);
            if (_checked.TryGetValue(key.Name, out var cached) && ReferenceEquals(cached.Record, record) && Equals(cached.PublicKey, key.PublicKey))
            {
                key.Trust = cached.Trust;
                return;
            }

            var verdict = record?.Evidence is { } evidence
                ? roots.Verify(key, evidence)
                : AttestationVerdict.None(record?.NoEvidence ?? (key.PublicKey is null ? "its public key is not known yet" : "not checked yet: its token has not been reachable"));
            var trust = KeyTrust.Decide(key.Settings.Role, record, verdict);
            _checked[key.Name] = (record, key.PublicKey, trust);
            key.Trust = trust;
        }
    }

    /// <summary>Before <paramref name="publicKey"/> is pinned for <paramref name="key"/>: it was generated on the token by <paramref name="by"/>.</summary>
    public void RecordGenerated(KeyEntry key, Ed25519PublicKey publicKey, string by) =>
        Record(key, new KeyProvenance(publicKey, KeyOriginKind.Generated, by, time.GetUtcNow(), null, null, null, null), "generated");

    /// <summary>Before <paramref name="publicKey"/> is pinned for <paramref name="key"/>: its seed was imported by <paramref name="by"/>.</summary>
    public void RecordImported(KeyEntry key, Ed25519PublicKey publicKey, string by) =>
        Record(key, new KeyProvenance(publicKey, KeyOriginKind.Imported, by, time.GetUtcNow(), null,
            "imported keys cannot be attested: a token attests only keys it generated", null, null), "imported");

    /// <summary>Why <paramref name="key"/> cannot be accepted for <paramref name="publicKey"/>, or null when it can.</summary>
    public string? WhyNotAcceptable(KeyEntry key, Ed25519PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(key);
        Update(key);
        if (!KeyTrust.RoleNeedsAttestation(key.Settings.Role))
        {
            return $"'{key.Name}' is a {key.Settings.Role.ToString().ToLowerInvariant()} key, which signs without attestation; there is nothing to accept";
        }

        if (!publicKey.Equals(key.PublicKey))
        {
            return $"'{key.Name}' has the public key {key.PublicKey?.Base64 ?? "(not known yet)"}, not {publicKey.Base64}; nothing was changed";
        }

        var trust = key.Trust;
        return trust.Provenance?.Rejected is not null || trust.Attestation.Status == AttestationStatus.Failed
            ? $"{trust.WhyNot}: a key that failed its attestation or was rejected cannot be accepted"
            : trust.Attestation.Status == AttestationStatus.Attested
                ? $"'{key.Name}' is attested ({trust.Attestation.Detail}); there is nothing to accept"
                : null;
    }

    /// <summary>An admin accepts a key that is not attested (call <see cref="WhyNotAcceptable"/> first, and audit).</summary>
    public void Accept(KeyEntry key, string by, string reason) =>
        Decide(key, record => record with { Accepted = new KeyDecision(by, time.GetUtcNow(), reason) }, "accepted");

    /// <summary>An operator rejects a key (its attestation did not verify against the operator's roots): it signs nothing until replaced.</summary>
    public void Reject(KeyEntry key, string by, string reason) =>
        Decide(key, record => record with { Rejected = new KeyDecision(by, time.GetUtcNow(), reason) }, "rejected");

    /// <summary>The audit record of <paramref name="key"/>'s provenance as it stands.</summary>
    public JsonObject Describe(KeyEntry key, string change)
    {
        ArgumentNullException.ThrowIfNull(key);
        return AuditRecord(key.Name, key.Trust.Provenance?.PublicKey ?? key.PublicKey, key.Trust, change);
    }

    private static JsonObject AuditRecord(string keyName, Ed25519PublicKey? publicKey, KeyTrust trust, string change)
    {
        var record = JsonObject.Of(("kind", AuditKinds.KeyProvenance), ("key", keyName), ("change", change),
            ("public_key", publicKey?.Base64 ?? string.Empty),
            ("origin", KeyProvenance.Name(trust.Provenance?.Origin ?? KeyOriginKind.Unknown)),
            ("attestation", trust.Attestation.Status.ToString().ToLowerInvariant()), ("attestation_detail", trust.Attestation.Detail),
            ("trusted", trust.Trusted));
        if (trust.Attestation.Attested is { } attested)
        {
            record = record.With("attestation_root", attested.RootSubject).With("attestation_root_sha256", attested.RootSha256).With("certificate_sha256", attested.CertificateSha256);
        }

        if (trust.Provenance?.By is { } by)
        {
            record = record.With("by", by);
        }

        return trust.WhyNot is { } whyNot ? record.With("why_not", whyNot) : record;
    }

    private void Record(KeyEntry key, KeyProvenance record, string change)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            // A rejection is of the public key, not of the record: the same seed imported again (into this key or
            // another) stays rejected, and no acceptance can undo that (WhyNotAcceptable).
            Save(key, file.RejectionOf(record.PublicKey) is { } rejected ? record with { Rejected = rejected } : record, change);
        }
    }

    private void Decide(KeyEntry key, Func<KeyProvenance, KeyProvenance> change, string what)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            var current = Current(key) ?? (key.PublicKey is { } pk ? new KeyProvenance(pk, KeyOriginKind.Found, null, null, null, null, null, null) : null)
                ?? throw DaemonErrors.KeyNotTrusted(key.Name, "its public key is not known yet");
            Save(key, change(current), what);
        }

        Update(key);
    }

    /// <summary>The record for the key's current public key; a record about another key is history, not this key's.</summary>
    private KeyProvenance? Current(KeyEntry key) => file.Get(key.Name) is { } r && r.PublicKey.Equals(key.PublicKey) ? r : null;

    /// <summary>Audited, then written (the caller holds the lock and works the key's trust out again after).</summary>
    private void Save(KeyEntry key, KeyProvenance record, string change)
    {
        // A record for a key not pinned yet (just generated or imported) is checked once it is pinned and read back.
        var trust = record.PublicKey.Equals(key.PublicKey)
            ? KeyTrust.Decide(key.Settings.Role, record, record.Evidence is { } e ? roots.Verify(key, e) : AttestationVerdict.None(record.NoEvidence ?? "not checked yet"))
            : KeyTrust.Decide(key.Settings.Role, record, AttestationVerdict.None(record.NoEvidence ?? "not checked yet: the key is checked once it is pinned"));
        Audit?.Invoke(AuditRecord(key.Name, record.PublicKey, trust, change));
        file.Put(key.Name, record);
    }
}
