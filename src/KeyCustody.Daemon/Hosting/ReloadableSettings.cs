namespace KeyCustody.Daemon.Hosting;

/// <summary>Which settings a reload may change: the access rules ("access" and everything under it), nothing else.</summary>
internal static class ReloadableSettings
{
    private const string Access = "access";

    /// <summary>The settings outside the access rules that differ between two loads (added, removed or changed), sorted.</summary>
    public static IReadOnlyList<string> ChangedOutsideAccess(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        var changed = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in before)
        {
            if (!IsAccess(name) && (!after.TryGetValue(name, out var now) || now != value))
            {
                changed.Add(name);
            }
        }

        foreach (var name in after.Keys)
        {
            if (!IsAccess(name) && !before.ContainsKey(name))
            {
                changed.Add(name);
            }
        }

        return [.. changed];
    }

    private static bool IsAccess(string name) =>
        name.Equals(Access, StringComparison.OrdinalIgnoreCase) || name.StartsWith(Access + ":", StringComparison.OrdinalIgnoreCase);
}
