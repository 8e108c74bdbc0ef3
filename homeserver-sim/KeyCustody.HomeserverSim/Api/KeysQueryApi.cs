using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim.Api;

/// <summary>
/// <c>POST /keys/query</c> with Synapse's visibility rules (<c>E2eKeysHandler.get_cross_signing_keys_from_cache</c> and
/// <c>_get_e2e_cross_signing_signatures_txn</c>): everyone sees every user's master and self-signing keys as uploaded
/// plus the signatures the <em>requester</em> made on them (so a user's user-signing signatures on others, and their
/// devices' signatures on their own master key, are visible only to that user); only the requester's own user-signing
/// key; every device with every signature on it. A queried user without keys maps to <c>{}</c>.
/// </summary>
internal static class KeysQueryApi
{
    public static Answer Query(SimState state, string requester, JsonObject body)
    {
        if (body.GetObject("device_keys") is not { } query || query.Any(q => q.Value is not JsonArray))
        {
            return MatrixError.InvalidParam("device_keys must be an object of user IDs to lists of device IDs");
        }

        var devices = new List<KeyValuePair<string, JsonValue>>();
        var master = new List<KeyValuePair<string, JsonValue>>();
        var selfSigning = new List<KeyValuePair<string, JsonValue>>();
        var userSigning = new List<KeyValuePair<string, JsonValue>>();
        foreach (var (user, requested) in query.Select(q => (q.Key, (JsonArray)q.Value)))
        {
            var wanted = requested.OfType<JsonString>().Select(s => s.Value).ToHashSet(StringComparer.Ordinal);
            var ids = state.Keys.DeviceIds(user).Where(d => wanted.Count == 0 || wanted.Contains(d));
            devices.Add(new(user, new JsonObject(ids.Select(d => new KeyValuePair<string, JsonValue>(d, state.Keys.Device(user, d)!)))));
            if (state.Keys.CrossSigningKey(user, "master", requester) is { } m)
            {
                master.Add(new(user, m.Json));
            }

            if (state.Keys.CrossSigningKey(user, "self_signing", requester) is { } s)
            {
                selfSigning.Add(new(user, s.Json));
            }

            if (user == requester && state.Keys.CrossSigningKey(user, "user_signing", requester) is { } u)
            {
                userSigning.Add(new(user, u.Json));
            }
        }

        return Answer.Ok(JsonObject.Of(
            ("device_keys", new JsonObject(devices)),
            ("failures", JsonObject.Empty),
            ("master_keys", new JsonObject(master)),
            ("self_signing_keys", new JsonObject(selfSigning)),
            ("user_signing_keys", new JsonObject(userSigning))));
    }
}
