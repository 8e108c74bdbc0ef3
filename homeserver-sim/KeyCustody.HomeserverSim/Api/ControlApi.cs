using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim.Api;

/// <summary>
/// The simulator's own endpoints (not Matrix): <c>POST /_keycustody_sim/v1/register</c>
/// <c>{"user_id", "password"?, "device_id"?}</c> hands out an access token for a device of that user (login-free);
/// <c>POST /_keycustody_sim/v1/rooms</c> <c>{"members": [...]}</c> makes a room those users share; and
/// <c>GET /account/approve</c> is where a person "approves" an m.oauth reset.
/// </summary>
internal static class ControlApi
{
    public const string Prefix = "/_keycustody_sim/v1/";

    public static Answer Register(SimState state, JsonObject body)
    {
        if (body.GetString("user_id") is not { } user || !user.StartsWith('@') || !user.Contains(':', StringComparison.Ordinal))
        {
            return MatrixError.InvalidParam("user_id must be a Matrix user ID (@name:server)");
        }

        var (token, device) = state.Accounts.Register(user, body.GetString("password"), body.GetString("device_id"));
        return Answer.Ok(JsonObject.Of(("access_token", token), ("device_id", device), ("user_id", user)));
    }

    public static Answer CreateRoom(SimState state, JsonObject body)
    {
        if (body.GetArray("members") is not { Count: > 0 } members || members.Any(m => m is not JsonString s || !s.Value.StartsWith('@')))
        {
            return MatrixError.InvalidParam("members must be a non-empty list of user IDs");
        }

        var server = new Uri(state.Url).Host;
        return Answer.Ok(JsonObject.Of(("room_id", state.Rooms.Create(server, members.Cast<JsonString>().Select(m => m.Value)))));
    }
}
