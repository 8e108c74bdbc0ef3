using System.Text;
using KeyCustody.Cli.Publishing;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Migration;

/// <summary>The user's global account data on the homeserver (<c>GET</c>/<c>PUT /user/{userId}/account_data/{type}</c>).</summary>
internal sealed class AccountData(Homeserver homeserver, string userId)
{
    /// <summary>The content, or null when the homeserver has none of that type (404 M_NOT_FOUND).</summary>
    public async Task<JsonObject?> GetAsync(string type, CancellationToken ct)
    {
        var response = await homeserver.SendAsync(HttpMethod.Get, PathOf(type), null, ct);
        if (response.Status == 404 && response.ErrCode == "M_NOT_FOUND")
        {
            return null;
        }

        if (response.Status != 200)
        {
            throw response.Refusal($"the homeserver did not give the account data {type}");
        }

        return Json.Object(response, $"the account data {type}");
    }

    public async Task PutAsync(string type, JsonObject content, CancellationToken ct)
    {
        var response = await homeserver.SendAsync(HttpMethod.Put, PathOf(type), CanonicalJson.Encode(content), ct);
        if (response.Status != 200)
        {
            throw response.Refusal($"the homeserver did not store the account data {type}");
        }
    }

    private string PathOf(string type) => $"_matrix/client/v3/user/{Uri.EscapeDataString(userId)}/account_data/{Uri.EscapeDataString(type)}";
}

/// <summary>A homeserver answer's body as our strict JSON tree (parsed from the very bytes received).</summary>
internal static class Json
{
    public static JsonObject Object(HomeserverResponse response, string what)
    {
        if (response.Body is not { ValueKind: System.Text.Json.JsonValueKind.Object } body)
        {
            throw new MigrationException(ExitCodes.No, $"the homeserver's answer for {what} is not a JSON object");
        }

        try
        {
            return CanonicalJson.ParseObject(Encoding.UTF8.GetBytes(body.GetRawText()));
        }
        catch (FormatException e)
        {
            throw new MigrationException(ExitCodes.No, $"the homeserver's answer for {what} is not JSON KeyCustody accepts: {e.Message}");
        }
    }
}
