namespace KeyCustody.HomeserverSim.State;

/// <summary>Rooms only as member lists (no events, no state): enough for a client to find the users it shares rooms with.</summary>
internal sealed class Rooms
{
    private readonly Dictionary<string, SortedSet<string>> _members = new(StringComparer.Ordinal);

    public string Create(string server, IEnumerable<string> members)
    {
        var id = $"!sim{_members.Count + 1}:{server}";
        _members[id] = new SortedSet<string>(members, StringComparer.Ordinal);
        return id;
    }

    public IEnumerable<string> JoinedBy(string user) => _members.Where(r => r.Value.Contains(user)).Select(r => r.Key).OrderBy(r => r, StringComparer.Ordinal);

    public IReadOnlyCollection<string>? Members(string room) => _members.GetValueOrDefault(room);
}
