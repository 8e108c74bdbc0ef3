using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim.State;

/// <summary>Global account data per user and type, stored as given (as Synapse does: <c>{}</c> is stored, not deleted).</summary>
internal sealed class AccountDataStore
{
    private readonly Dictionary<(string User, string Type), JsonObject> _data = [];

    public JsonObject? Get(string user, string type) => _data.GetValueOrDefault((user, type));

    public void Put(string user, string type, JsonObject content) => _data[(user, type)] = content;

    public IEnumerable<(string Type, JsonObject Content)> All(string user) =>
        _data.Where(kv => kv.Key.User == user).OrderBy(kv => kv.Key.Type, StringComparer.Ordinal).Select(kv => (kv.Key.Type, kv.Value));
}
