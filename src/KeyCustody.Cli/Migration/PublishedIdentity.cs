using KeyCustody.Cli.Publishing;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// What the homeserver publishes for the user, asked as the user (<c>/keys/query</c>): their cross-signing keys, their
/// devices, and the master keys of the other users asked about, with the user's own signatures on them (Synapse shows
/// those only to the user who made them).
/// </summary>
internal sealed class PublishedIdentity
{
    private PublishedIdentity(string userId, JsonObject response, CrossSigningKey master, CrossSigningKey? selfSigning, CrossSigningKey? userSigning)
    {
        UserId = userId;
        Response = response;
        Master = master;
        SelfSigning = selfSigning;
        UserSigning = userSigning;
    }

    public string UserId { get; }

    /// <summary>The whole answer, for the trust rule.</summary>
    public JsonObject Response { get; }

    public CrossSigningKey Master { get; }

    public CrossSigningKey? SelfSigning { get; }

    public CrossSigningKey? UserSigning { get; }

    public static async Task<PublishedIdentity> QueryAsync(Homeserver homeserver, string userId, IEnumerable<string> others, CancellationToken ct)
    {
        var users = new[] { userId }.Concat(others.Where(o => o != userId)).Distinct(StringComparer.Ordinal)
            .Select(u => new KeyValuePair<string, JsonValue>(u, JsonArray.Empty));
        var response = await homeserver.PostAsync("_matrix/client/v3/keys/query", CanonicalJson.Encode(JsonObject.Of(("device_keys", new JsonObject(users)))), ct);
        if (response.Status != 200)
        {
            throw response.Refusal("the homeserver did not answer /keys/query");
        }

        var json = Json.Object(response, "/keys/query");
        var master = Key(json, "master_keys", userId, KeyUsage.Master)
            ?? throw new MigrationException(ExitCodes.No, $"the homeserver publishes no master key for {userId}: there is no cross-signing identity to migrate");
        return new PublishedIdentity(userId, json, master, Key(json, "self_signing_keys", userId, KeyUsage.SelfSigning), Key(json, "user_signing_keys", userId, KeyUsage.UserSigning));
    }

    /// <summary>The user's devices as published (exactly, signatures included), by device ID.</summary>
    public IReadOnlyList<(string DeviceId, JsonObject Json)> Devices() =>
        Response.GetObject("device_keys")?.GetObject(UserId) is { } devices
            ? devices.Where(d => d.Value is JsonObject).Select(d => (d.Key, (JsonObject)d.Value)).ToList()
            : [];

    /// <summary>Other users' master keys as the user sees them (with the user's own signatures), by user ID.</summary>
    public IReadOnlyList<(string UserId, JsonObject Json)> OtherMasters() =>
        (Response.GetObject("master_keys") ?? JsonObject.Empty)
            .Where(m => m.Key != UserId && m.Value is JsonObject)
            .Select(m => (m.Key, (JsonObject)m.Value))
            .ToList();

    private static CrossSigningKey? Key(JsonObject response, string section, string userId, KeyUsage usage)
    {
        if (response.GetObject(section)?[userId] is not { } value)
        {
            return null;
        }

        try
        {
            return CrossSigningKey.Parse(value, usage);
        }
        catch (FormatException e)
        {
            throw new MigrationException(ExitCodes.No, $"the homeserver publishes a malformed {usage.Describe()} for {userId}: {e.Message}");
        }
    }
}
