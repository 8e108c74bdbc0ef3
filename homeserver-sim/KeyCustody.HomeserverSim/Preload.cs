using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim;

/// <summary>
/// A state to start from (<c>--preload FILE</c>): users with their tokens, devices, cross-signing keys, account data,
/// rooms, and signature uploads replayed through the simulator's own <c>/keys/signatures/upload</c> as their user,
/// so they are checked and stored exactly as uploaded ones. Made for demos (./run.sh) and CI; see
/// examples/migration/premade-identity.json.
/// </summary>
public static class Preload
{
    public static void Apply(HomeserverSimulator simulator, JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(state);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in Objects(state.GetArray("users")))
        {
            var id = Required(user, "user_id");
            tokens[id] = Required(user, "access_token");
            simulator.AddUser(id, tokens[id], Required(user, "password"), user.GetString("device_id"));
        }

        foreach (var device in Objects(state.GetArray("device_keys")))
        {
            simulator.AddDevice(device);
        }

        foreach (var (user, keys) in Members(state.GetObject("cross_signing_keys")))
        {
            foreach (var (usage, key) in Members(keys))
            {
                simulator.SetCrossSigningKey(user, usage, key);
            }
        }

        foreach (var upload in Objects(state.GetArray("signature_uploads")))
        {
            var user = Required(upload, "user_id");
            var answer = simulator.Route("POST", "keys/signatures/upload", tokens.GetValueOrDefault(user) ?? throw new FormatException($"preload: a signature upload for {user}, who is not among the users"), upload.GetObject("body") ?? JsonObject.Empty);
            if (answer.Status != 200 || answer.Body.GetObject("failures") is not { Count: 0 })
            {
                throw new FormatException($"preload: the signature upload of {user} was refused: {answer.Body}");
            }
        }

        foreach (var (user, types) in Members(state.GetObject("account_data")))
        {
            foreach (var (type, content) in Members(types))
            {
                simulator.SetAccountData(user, type, content);
            }
        }

        foreach (var room in state.GetArray("rooms")?.OfType<JsonArray>() ?? [])
        {
            simulator.CreateRoom([.. room.OfType<JsonString>().Select(m => m.Value)]);
        }
    }

    private static IEnumerable<JsonObject> Objects(JsonArray? array) => array?.OfType<JsonObject>() ?? [];

    private static IEnumerable<(string Key, JsonObject Value)> Members(JsonObject? obj) =>
        obj?.Where(m => m.Value is JsonObject).Select(m => (m.Key, (JsonObject)m.Value)) ?? [];

    private static string Required(JsonObject obj, string member) =>
        obj.GetString(member) ?? throw new FormatException($"preload: a user without {member}");
}
