using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim.Api;

/// <summary><c>GET</c>/<c>PUT /user/{userId}/account_data/{type}</c> (global account data), with Synapse's answers.</summary>
internal static class AccountDataApi
{
    public static Answer Get(SimState state, string requester, string user, string type)
    {
        if (requester != user)
        {
            return MatrixError.Forbidden("Cannot get account data for other users.");
        }

        return state.AccountData.Get(user, type) is { } content ? Answer.Ok(content) : MatrixError.Of(404, "M_NOT_FOUND", "Account data not found");
    }

    public static Answer Put(SimState state, string requester, string user, string type, JsonObject content)
    {
        if (requester != user)
        {
            return MatrixError.Forbidden("Cannot add account data for other users.");
        }

        state.AccountData.Put(user, type, content);
        return Answer.Ok();
    }
}
