using KeyCustody.Cli.Publishing;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// The users whose master keys the old user-signing key may have signed: no API lists them, so the migration asks
/// about everyone the user shares a joined room with (<c>/joined_rooms</c>, <c>/rooms/{id}/joined_members</c>), plus
/// any named with <c>--contact</c>. Only those the old key really signed are signed again.
/// </summary>
internal static class Contacts
{
    public static async Task<SortedSet<string>> FindAsync(Homeserver homeserver, string userId, IEnumerable<string> named, bool fromRooms, CancellationToken ct)
    {
        var users = new SortedSet<string>(named, StringComparer.Ordinal);
        if (fromRooms)
        {
            var rooms = await homeserver.SendAsync(HttpMethod.Get, "_matrix/client/v3/joined_rooms", null, ct);
            if (rooms.Status != 200)
            {
                throw rooms.Refusal("the homeserver did not list the joined rooms (give the verified users with --contact and --no-contacts-from-rooms)");
            }

            foreach (var room in Strings(Json.Object(rooms, "/joined_rooms").GetArray("joined_rooms")))
            {
                var members = await homeserver.SendAsync(HttpMethod.Get, $"_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/joined_members", null, ct);
                if (members.Status == 200 && Json.Object(members, "/joined_members").GetObject("joined") is { } joined)
                {
                    users.UnionWith(joined.PropertyNames);
                }
            }
        }

        users.Remove(userId);
        return users;
    }

    private static IEnumerable<string> Strings(KeyCustody.Matrix.Json.JsonArray? array) =>
        array?.OfType<KeyCustody.Matrix.Json.JsonString>().Select(s => s.Value) ?? [];
}
