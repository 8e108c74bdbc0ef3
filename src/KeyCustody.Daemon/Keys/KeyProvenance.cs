using System.Globalization;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Keys;

/// <summary>How a key came to be, as far as the daemon saw it.</summary>
public enum KeyOriginKind
{
    /// <summary>Nothing is recorded for the key's current public key.</summary>
    Unknown,
    /// <summary>Already on the token when the daemon first read it: made elsewhere, by someone unknown.</summary>
    Found,
    /// <summary>Generated on its token through this daemon (Admin.GenerateKey).</summary>
    Generated,
    /// <summary>A seed imported into its token through this daemon (Admin.ImportKey).</summary>
    Imported,
}

/// <summary>An admin's explicit statement about a key: who, when, why.</summary>
public sealed record KeyDecision(string By, DateTimeOffset At, string Reason)
{
    internal JsonObject ToJson() => JsonObject.Of(("by", By), ("at", KeyProvenance.Time(At)), ("reason", Reason));

    internal static KeyDecision? FromJson(JsonObject? json) =>
        json is null ? null : new(json.GetString("by") ?? string.Empty, KeyProvenance.ParseTime(json.GetString("at")), json.GetString("reason") ?? string.Empty);
}

/// <summary>
/// What the daemon records beside a key's pinned public key (provenance.json): its origin, who made it and when, the
/// token's attestation (the evidence, verified again at every start against the roots configured then), why there is
/// none, and an admin's acceptance or rejection. Every record names the public key it is about: a key replaced on
/// its token (rotation, another card) starts again from nothing, acceptances and rejections included.
/// </summary>
public sealed record KeyProvenance(
    Ed25519PublicKey PublicKey,
    KeyOriginKind Origin,
    string? By,
    DateTimeOffset? At,
    KeyAttestation? Evidence,
    string? NoEvidence,
    KeyDecision? Accepted,
    KeyDecision? Rejected)
{
    internal static string Name(KeyOriginKind origin) => origin.ToString().ToLowerInvariant();

    internal static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string? text) =>
        DateTimeOffset.ParseExact(text ?? throw new InvalidDataException("a time is missing"), "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    internal JsonObject ToJson()
    {
        var json = JsonObject.Of(("public_key", PublicKey.Base64), ("origin", Name(Origin)));
        if (By is not null)
        {
            json = json.With("by", By);
        }

        if (At is { } at)
        {
            json = json.With("at", Time(at));
        }

        if (Evidence is not null)
        {
            json = json.With("attestation", JsonObject.Of(
                ("certificate", Convert.ToBase64String(Evidence.Certificate)),
                ("intermediates", new JsonArray(Evidence.Intermediates.Select(i => (JsonValue)Convert.ToBase64String(i)).ToArray()))));
        }

        if (NoEvidence is not null)
        {
            json = json.With("no_attestation", NoEvidence);
        }

        if (Accepted is not null)
        {
            json = json.With("accepted", Accepted.ToJson());
        }

        return Rejected is null ? json : json.With("rejected", Rejected.ToJson());
    }

    internal static KeyProvenance FromJson(JsonObject json)
    {
        var origin = Enum.TryParse<KeyOriginKind>(json.GetString("origin"), ignoreCase: true, out var o) && o != KeyOriginKind.Unknown
            ? o
            : throw new InvalidDataException($"origin '{json.GetString("origin")}' is not found, generated or imported");
        KeyAttestation? evidence = null;
        if (json.GetObject("attestation") is { } a)
        {
            evidence = new KeyAttestation(
                Convert.FromBase64String(a.GetString("certificate") ?? throw new InvalidDataException("an attestation without its certificate")),
                a.GetArray("intermediates")?.Select(i => Convert.FromBase64String(((JsonString)i).Value)).ToList() ?? []);
        }

        return new KeyProvenance(
            Ed25519PublicKey.FromBase64(json.GetString("public_key") ?? throw new InvalidDataException("a record without its public key")),
            origin,
            json.GetString("by"),
            json.GetString("at") is { } at ? ParseTime(at) : null,
            evidence,
            json.GetString("no_attestation"),
            KeyDecision.FromJson(json.GetObject("accepted")),
            KeyDecision.FromJson(json.GetObject("rejected")));
    }
}
