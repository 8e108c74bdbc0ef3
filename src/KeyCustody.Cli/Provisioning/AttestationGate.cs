using System.Security.Cryptography;
using Grpc.Core;
using KeyCustody.Client;
using KeyCustody.Contract.Attestation;
using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Provisioning;

/// <summary>
/// What lets a key become part of an identity, whatever an earlier run printed: the one gate of
/// <c>keycustody provision</c> and <c>keycustody migrate</c>. Each key is checked against the operator's roots (never
/// the daemon's or the card's), and the daemon is told the outcome so it knows too: a key generated in this run whose
/// attestation fails is rejected (the daemon then signs nothing with it until it is replaced); a key without
/// attestation is accepted only with --allow-unattested, or by the command's own ceremony (an imported key: the
/// master-key backup ceremony, or a key read from secret storage), and that acceptance is recorded and audited by the
/// daemon. Every existing key is checked again before anything is built on it: one the daemon knows as rejected,
/// failed, or neither attested nor accepted stops the command, named.
/// </summary>
internal sealed class AttestationGate(KeyCustodyClient client, AttestationOptions options, GateCeremony ceremony)
{
    /// <summary>A key generated in this run: the operator's check of its attestation, and the daemon's.</summary>
    public async Task<JsonObject> AdmitGeneratedAsync(KeyInfo key, string shortName, GenerateKeyResponse generated, string pin, string touch, CancellationToken ct)
    {
        var entry = Entry(key, generated.PublicKey, generated.PinPolicy, generated.TouchPolicy);
        var attestation = await AttestAsync(key, ct);
        if (attestation is null)
        {
            if (!options.AllowUnattested)
            {
                throw new AttestationMismatchException($"token {key.Token} ({key.TokenKind}) cannot attest the {shortName} key; add --allow-unattested to continue without proof that it was made on the device");
            }

            await DecideAsync(key, generated.PublicKey, accept: true, $"{ceremony.Command} --allow-unattested: token {key.Token} ({key.TokenKind}) has no attestation", ct);
            return entry.With("attestation", "none: the token has no attestation; accepted with --allow-unattested");
        }

        if (options.Roots.Count == 0)
        {
            return entry.With("attestation", await WithoutOperatorRootsAsync(key, generated.Provenance, generated.PublicKey, shortName, generatedNow: true, ct));
        }

        AttestedKey attested;
        try
        {
            attested = Verify(attestation, generated.PublicKey, pin, touch, key.TokenSerial);
        }
        catch (AttestationMismatchException e)
        {
            await DecideAsync(key, generated.PublicKey, accept: false, $"its attestation failed the operator's check in {ceremony.Command}: " + e.Message, ct);
            throw NotTrusted(key, shortName, e.Message);
        }

        Console.Error.WriteLine($"attested: {shortName} key made on card {attested.Serial} (firmware {attested.Firmware}), PIN {attested.PinPolicy ?? "not in an OpenPGP statement"}, touch {attested.TouchPolicy}, chain to {attested.RootSubject}");
        await AgreeWithDaemonAsync(key, generated.Provenance, generated.PublicKey, shortName, attested, generatedNow: true, ct);
        return entry.With("attestation", Evidence(attestation, attested));
    }

    /// <summary>
    /// No "checked again" line for a key that passes: set when nothing will be built on the existing keys, so a re-run on
    /// a provisioned user ends in its one error: line, yet a key that fails is still named (exit 3).
    /// </summary>
    public bool Quiet { get; init; }

    private void Checked(string line)
    {
        if (!Quiet)
        {
            Console.Error.WriteLine(line);
        }
    }

    /// <summary>
    /// A key that exists already: checked again, against the daemon's record and the operator's roots, before anything
    /// is built on it. <paramref name="acceptAs"/>, when given, is the command's own reason to accept a key without
    /// attestation that no admin has accepted yet (migrate: the token holds exactly the key read from secret storage);
    /// without it such a key needs --allow-unattested.
    /// </summary>
    public async Task<JsonObject> RecheckExistingAsync(KeyInfo key, string shortName, CancellationToken ct, string? acceptAs = null)
    {
        var known = key.Provenance ?? new KeyProvenance { Origin = "unknown", Attestation = "none", Trusted = true };
        if (known.Rejected is { } rejected)
        {
            throw Stop(key, shortName, $"it was rejected by {rejected.By} at {Time(rejected.At)} ({rejected.Reason})");
        }

        if (known.Attestation == "failed")
        {
            throw Stop(key, shortName, $"its attestation does not verify against the daemon's roots ({known.AttestationDetail})");
        }

        var entry = Entry(key, key.PublicKey, key.PinPolicy, key.TouchPolicy).With("existing", true);
        var attestation = await AttestAsync(key, ct);
        if (attestation is not null && options.Roots.Count == 0)
        {
            return entry.With("attestation", await WithoutOperatorRootsAsync(key, known, key.PublicKey, shortName, generatedNow: false, ct));
        }

        if (attestation is not null)
        {
            AttestedKey attested;
            try
            {
                attested = Verify(attestation, key.PublicKey, Policy(key.PinPolicy), Policy(key.TouchPolicy), key.TokenSerial);
            }
            catch (AttestationMismatchException e)
            {
                // Not rejected here: this key may be published already, and a wrong root file must not cost an identity.
                throw Stop(key, shortName, $"{e.Message} (if this key is not what you expect, `keycustody keys reject` it)");
            }

            Checked($"checked again: existing {shortName} key '{key.Name}' made on card {attested.Serial}, chain to {attested.RootSubject}");
            await AgreeWithDaemonAsync(key, known, key.PublicKey, shortName, attested, generatedNow: false, ct);
            return entry.With("attestation", Evidence(attestation, attested));
        }

        if (known.Accepted is { } accepted)
        {
            Checked($"checked again: existing {shortName} key '{key.Name}' is not attested ({known.AttestationDetail}); accepted by {accepted.By}: {accepted.Reason}");
            return entry.With("attestation", $"none: {known.AttestationDetail}; accepted by {accepted.By} at {Time(accepted.At)}: {accepted.Reason}");
        }

        if (acceptAs is not null)
        {
            var origin = known.Origin + (known.By.Length > 0 ? $" by {known.By} at {Time(known.At)}" : string.Empty);
            var reason = $"{acceptAs}; already on its token ({origin})";
            await DecideAsync(key, key.PublicKey, accept: true, reason, ct);
            Checked($"checked again: existing {shortName} key '{key.Name}' is not attested ({known.AttestationDetail}); accepted now: {reason}");
            return entry.With("attestation", $"none: {known.AttestationDetail}; accepted: {reason}");
        }

        if (!options.AllowUnattested)
        {
            throw Stop(key, shortName, $"it is not attested ({known.AttestationDetail}) and no admin has accepted it; add --allow-unattested to accept it");
        }

        await DecideAsync(key, key.PublicKey, accept: true, $"{ceremony.Command} --allow-unattested: {known.AttestationDetail}", ct);
        return entry.With("attestation", $"none: {known.AttestationDetail}; accepted with --allow-unattested");
    }

    /// <summary>
    /// A key imported in this run (its seed made by the command or read from secret storage): a card attests only keys
    /// it generated, so the command's explicit ceremony is the acceptance, recorded (and audited) by the daemon with
    /// <paramref name="reason"/>. Returns the record's entry for the key.
    /// </summary>
    public async Task<JsonObject> AcceptImportedAsync(KeyInfo key, GenerateKeyResponse imported, string reason, CancellationToken ct)
    {
        var provenance = await DecideAsync(key, imported.PublicKey, accept: true, reason, ct);
        var origin = provenance.Origin + (provenance.By.Length > 0 ? $" by {provenance.By} at {Time(provenance.At)}" : string.Empty);
        return Entry(key, imported.PublicKey, imported.PinPolicy, imported.TouchPolicy)
            .With("origin", origin)
            .With("attestation", $"none: imported keys cannot be attested (a card attests only keys it generated); accepted by {provenance.Accepted?.By}: {reason}");
    }

    /// <summary>The daemon accepts or rejects <paramref name="publicKey"/> of <paramref name="key"/> (audited there); its record afterwards.</summary>
    public async Task<KeyProvenance> DecideAsync(KeyInfo key, string publicKey, bool accept, string reason, CancellationToken ct)
    {
        var request = new KeyDecisionRequest { Key = key.Name, PublicKey = publicKey, Reason = reason };
        var response = accept
            ? await client.Admin.AcceptKeyAsync(request, cancellationToken: ct)
            : await client.Admin.RejectKeyAsync(request, cancellationToken: ct);
        return response.Provenance;
    }

    /// <summary>
    /// The operator gave no roots (only with --allow-unattested): the operator checks nothing, so the key is admitted
    /// on the daemon's own check of its attestation, or else accepted under --allow-unattested, never rejected for want
    /// of a root. A key the daemon found failed or rejected stops the command.
    /// </summary>
    private async Task<string> WithoutOperatorRootsAsync(KeyInfo key, KeyProvenance? daemon, string publicKey, string shortName, bool generatedNow, CancellationToken ct)
    {
        if (daemon is { Attestation: "attested" })
        {
            Console.Error.WriteLine($"attested by the daemon only (no --attestation-root): {shortName} key '{key.Name}' {daemon.AttestationDetail}");
            return $"checked by the daemon only (no --attestation-root): {daemon.AttestationDetail}";
        }

        if (daemon is not null && (daemon.Attestation == "failed" || daemon.Rejected is not null))
        {
            var why = "the daemon does not trust it: " + daemon.UntrustedReason;
            throw generatedNow ? NotTrusted(key, shortName, why) : Stop(key, shortName, why);
        }

        if (daemon?.Accepted is { } accepted)
        {
            return $"not checked (no --attestation-root): {daemon.AttestationDetail}; accepted by {accepted.By} at {Time(accepted.At)}: {accepted.Reason}";
        }

        var reason = $"{ceremony.Command} --allow-unattested: no --attestation-root was given and the daemon could not check the token's attestation ({daemon?.AttestationDetail})";
        await DecideAsync(key, publicKey, accept: true, reason, ct);
        return "not checked: " + reason;
    }

    /// <summary>
    /// The operator's roots vouch for the key; the daemon's own check must not say otherwise. A daemon without a root
    /// for the token (attestation.roots) is told the operator's finding as an acceptance, recorded with the root.
    /// </summary>
    private async Task AgreeWithDaemonAsync(KeyInfo key, KeyProvenance? daemon, string publicKey, string shortName, AttestedKey attested, bool generatedNow, CancellationToken ct)
    {
        if (daemon is null || daemon.Trusted)
        {
            return;
        }

        if (daemon.Attestation == "failed" || daemon.Rejected is not null)
        {
            var why = "the daemon does not trust it: " + daemon.UntrustedReason;
            throw generatedNow ? NotTrusted(key, shortName, why) : Stop(key, shortName, why);
        }

        await DecideAsync(key, publicKey, accept: true,
            $"attested by {ceremony.Command} against the operator's root {attested.RootSubject} (sha256 {attested.RootSha256}); the daemon could not check it itself ({daemon.AttestationDetail})", ct);
        Console.Error.WriteLine($"note: the daemon has no attestation root for {key.Token} ({daemon.AttestationDetail}); it recorded the operator's check as an acceptance. Configure attestation.roots so it checks keys itself.");
    }

    private async Task<AttestResponse?> AttestAsync(KeyInfo key, CancellationToken ct)
    {
        try
        {
            return await client.Admin.AttestAsync(new AttestRequest { Key = key.Name }, cancellationToken: ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return null;
        }
    }

    private AttestedKey Verify(AttestResponse attestation, string publicKey, string pin, string touch, string tokenSerial) =>
        AttestationCheck.Verify(
            attestation.Certificate.ToByteArray(), attestation.Intermediates.Select(i => i.ToByteArray()).ToList(),
            options.Roots, options.Intermediates, UnpaddedBase64.Decode(publicKey), pin, touch, uint.TryParse(tokenSerial, out var s) ? s : null);

    /// <summary>A key generated in this run that cannot be trusted (the daemon refuses it: rejected there, or its own check failed).</summary>
    private AttestationMismatchException NotTrusted(KeyInfo key, string shortName, string why) =>
        new($"{ceremony.Stopped}: the {shortName} key '{key.Name}' on token {key.Token}: {why}. " +
            $"The key generated in {key.Token} is not trusted: the daemon now refuses it, and {ceremony.NothingSigned}; {ceremony.WayOut(key, shortName)} once the cause is found");

    /// <summary>A key that existed before this run and cannot be built on.</summary>
    private AttestationMismatchException Stop(KeyInfo key, string shortName, string why) =>
        new($"{ceremony.Stopped}: the existing {shortName} key '{key.Name}' on token {key.Token} cannot be built on: {why}. {ceremony.NothingBuilt}; {ceremony.WayOut(key, shortName)}");

    private static string Policy(string reported) => reported.Length == 0 ? "default" : reported;

    private static string Time(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Entry(KeyInfo key, string publicKey, string pin, string touch) => JsonObject.Of(
        ("role", key.Role),
        ("name", key.Name),
        ("token", key.Token),
        ("token_kind", key.TokenKind),
        ("token_serial", key.TokenSerial),
        ("public_key", publicKey),
        ("pin_policy", pin),
        ("touch_policy", touch));

    private static JsonObject Evidence(AttestResponse attestation, AttestedKey attested) => JsonObject.Of(
        ("certificate", Pem("CERTIFICATE", attestation.Certificate.ToByteArray())),
        ("intermediates", new JsonArray(attestation.Intermediates.Select(i => (JsonValue)Pem("CERTIFICATE", i.ToByteArray())).ToArray())),
        ("serial", attested.Serial?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty),
        ("firmware", attested.Firmware ?? string.Empty),
        ("root", attested.RootSubject),
        ("root_sha256", attested.RootSha256),
        ("certificate_sha256", attested.CertificateSha256));

    private static string Pem(string label, byte[] der) => new(PemEncoding.Write(label, der));
}
