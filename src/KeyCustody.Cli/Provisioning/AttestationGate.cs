using System.Security.Cryptography;
using Grpc.Core;
using KeyCustody.Client;
using KeyCustody.Client.Attestation;
using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Provisioning;

/// <summary>
/// What lets a key become part of an identity during provisioning, whatever an earlier run printed. Each key is
/// checked against the operator's roots (never the daemon's or the card's), and the daemon is told the outcome so it
/// knows too: a key generated in this run whose attestation fails is rejected (the daemon then signs nothing with it
/// until it is replaced); a key without attestation is accepted only with --allow-unattested (or by the master-key
/// backup ceremony), and that acceptance is recorded and audited by the daemon. Every existing key is checked again
/// before anything is built on it: one the daemon knows as rejected, failed, or neither attested nor accepted stops
/// provisioning, named.
/// </summary>
internal static class AttestationGate
{
    /// <summary>A key generated in this run: the operator's check of its attestation, and the daemon's.</summary>
    public static async Task<JsonObject> AdmitGeneratedAsync(
        KeyCustodyClient client, ProvisionCommand.Request request, KeyInfo key, string shortName, GenerateKeyResponse generated, string pin, string touch, CancellationToken ct)
    {
        var entry = Entry(key, generated.PublicKey, generated.PinPolicy, generated.TouchPolicy);
        var attestation = await AttestAsync(client, key, ct);
        if (attestation is null)
        {
            if (!request.AllowUnattested)
            {
                throw new AttestationMismatchException($"token {key.Token} ({key.TokenKind}) cannot attest the {shortName} key; add --allow-unattested to continue without proof that it was made on the device");
            }

            await DecideAsync(client, key, generated.PublicKey, accept: true, $"keycustody provision --allow-unattested: token {key.Token} ({key.TokenKind}) has no attestation", ct);
            return entry.With("attestation", "none: the token has no attestation; accepted with --allow-unattested");
        }

        AttestedKey attested;
        try
        {
            attested = Verify(request, attestation, generated.PublicKey, pin, touch, key.TokenSerial);
        }
        catch (AttestationMismatchException e)
        {
            await DecideAsync(client, key, generated.PublicKey, accept: false, "its attestation failed the operator's check in keycustody provision: " + e.Message, ct);
            throw new AttestationMismatchException($"provisioning stopped: the {shortName} key '{key.Name}' on token {key.Token}: {e.Message}. " +
                $"The key generated in {key.Token} is not trusted: the daemon now refuses it, and nothing was signed or written; replace it ({Rotate(shortName)}) once the cause is found");
        }

        Console.Error.WriteLine($"attested: {shortName} key made on card {attested.Serial} (firmware {attested.Firmware}), PIN {attested.PinPolicy}, touch {attested.TouchPolicy}, chain to {attested.RootSubject}");
        await AgreeWithDaemonAsync(client, key, generated.Provenance, generated.PublicKey, shortName, attested, ct);
        return entry.With("attestation", Evidence(attestation, attested));
    }

    /// <summary>A key that exists already: checked again, against the daemon's record and the operator's roots, before anything is built on it.</summary>
    public static async Task<JsonObject> RecheckExistingAsync(KeyCustodyClient client, ProvisionCommand.Request request, KeyInfo key, string shortName, CancellationToken ct)
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
        var attestation = await AttestAsync(client, key, ct);
        if (attestation is not null)
        {
            AttestedKey attested;
            try
            {
                attested = Verify(request, attestation, key.PublicKey, Policy(key.PinPolicy), Policy(key.TouchPolicy), key.TokenSerial);
            }
            catch (AttestationMismatchException e)
            {
                // Not rejected here: this key may be published already, and a wrong root file must not cost an identity.
                throw Stop(key, shortName, $"{e.Message} (if this key is not what you expect, `keycustody keys reject` it)");
            }

            Console.Error.WriteLine($"checked again: existing {shortName} key '{key.Name}' made on card {attested.Serial}, chain to {attested.RootSubject}");
            await AgreeWithDaemonAsync(client, key, known, key.PublicKey, shortName, attested, ct);
            return entry.With("attestation", Evidence(attestation, attested));
        }

        if (known.Accepted is { } accepted)
        {
            Console.Error.WriteLine($"checked again: existing {shortName} key '{key.Name}' is not attested ({known.AttestationDetail}); accepted by {accepted.By}: {accepted.Reason}");
            return entry.With("attestation", $"none: {known.AttestationDetail}; accepted by {accepted.By} at {Time(accepted.At)}: {accepted.Reason}");
        }

        if (!request.AllowUnattested)
        {
            throw Stop(key, shortName, $"it is not attested ({known.AttestationDetail}) and no admin has accepted it; add --allow-unattested to accept it");
        }

        await DecideAsync(client, key, key.PublicKey, accept: true, $"keycustody provision --allow-unattested: {known.AttestationDetail}", ct);
        return entry.With("attestation", $"none: {known.AttestationDetail}; accepted with --allow-unattested");
    }

    /// <summary>The daemon accepts or rejects <paramref name="publicKey"/> of <paramref name="key"/> (audited there).</summary>
    public static async Task DecideAsync(KeyCustodyClient client, KeyInfo key, string publicKey, bool accept, string reason, CancellationToken ct)
    {
        var request = new KeyDecisionRequest { Key = key.Name, PublicKey = publicKey, Reason = reason };
        _ = accept
            ? await client.Admin.AcceptKeyAsync(request, cancellationToken: ct)
            : await client.Admin.RejectKeyAsync(request, cancellationToken: ct);
    }

    /// <summary>
    /// The operator's roots vouch for the key; the daemon's own check must not say otherwise. A daemon without a root
    /// for the token (attestation.roots) is told the operator's finding as an acceptance, recorded with the root.
    /// </summary>
    private static async Task AgreeWithDaemonAsync(KeyCustodyClient client, KeyInfo key, KeyProvenance? daemon, string publicKey, string shortName, AttestedKey attested, CancellationToken ct)
    {
        if (daemon is null || daemon.Trusted)
        {
            return;
        }

        if (daemon.Attestation == "failed" || daemon.Rejected is not null)
        {
            throw Stop(key, shortName, "the daemon does not trust it: " + daemon.UntrustedReason);
        }

        await DecideAsync(client, key, publicKey, accept: true,
            $"attested by keycustody provision against the operator's root {attested.RootSubject} (sha256 {attested.RootSha256}); the daemon could not check it itself ({daemon.AttestationDetail})", ct);
        Console.Error.WriteLine($"note: the daemon has no attestation root for {key.Token} ({daemon.AttestationDetail}); it recorded the operator's check as an acceptance. Configure attestation.roots so it checks keys itself.");
    }

    private static async Task<AttestResponse?> AttestAsync(KeyCustodyClient client, KeyInfo key, CancellationToken ct)
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

    private static AttestedKey Verify(ProvisionCommand.Request request, AttestResponse attestation, string publicKey, string pin, string touch, string tokenSerial) =>
        AttestationCheck.Verify(
            attestation.Certificate.ToByteArray(), attestation.Intermediates.Select(i => i.ToByteArray()).ToList(),
            request.Roots, request.Intermediates, UnpaddedBase64.Decode(publicKey), pin, touch, uint.TryParse(tokenSerial, out var s) ? s : null);

    private static AttestationMismatchException Stop(KeyInfo key, string shortName, string why) =>
        new($"provisioning stopped: the existing {shortName} key '{key.Name}' on token {key.Token} cannot be built on: {why}. Nothing was generated, signed or written; replace it ({Rotate(shortName)})");

    private static string Rotate(string shortName) => shortName == "master" ? "--rotate master --confirm-new-identity" : "--rotate " + shortName;

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
