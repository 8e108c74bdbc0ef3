using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim.Api;

/// <summary><c>GET /joined_rooms</c> and <c>GET /rooms/{roomId}/joined_members</c> (Synapse: 403 for a room the requester is not in).</summary>
internal static class RoomsApi
{
    public static Answer JoinedRooms(SimState state, string user) =>
        Answer.Ok(JsonObject.Of(("joined_rooms", new JsonArray(state.Rooms.JoinedBy(user).Select(r => (JsonValue)r).ToArray()))));

    public static Answer JoinedMembers(SimState state, string user, string room)
    {
        if (state.Rooms.Members(room) is not { } members || !members.Contains(user))
        {
            return MatrixError.Forbidden("User not in room");
        }

        return Answer.Ok(JsonObject.Of(("joined", new JsonObject(members.Select(m => new KeyValuePair<string, JsonValue>(m, JsonObject.Empty))))));
    }
}
