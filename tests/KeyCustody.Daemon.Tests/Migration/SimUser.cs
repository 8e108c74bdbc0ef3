using System.Net.Http.Headers;
using KeyCustody.HomeserverSim;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>One device of a user on the homeserver simulator, over HTTP, as a client (Element) would talk to it.</summary>
internal sealed class SimUser : IDisposable
{
    private readonly HttpClient _http;

    public SimUser(HomeserverSimulator sim, string userId, string password, string deviceId)
    {
        UserId = userId;
        DeviceId = deviceId;
        (Token, _) = sim.Register(userId, password, deviceId);
        _http = new HttpClient { BaseAddress = new Uri(sim.Url + "/_matrix/client/v3/") };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public string UserId { get; }

    public string DeviceId { get; }

    public string Token { get; }

    public async Task<JsonObject> PostAsync(string endpoint, JsonObject body)
    {
        using var content = new ByteArrayContent(CanonicalJson.Encode(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync(endpoint, content);
        var answer = CanonicalJson.ParseObject(await response.Content.ReadAsByteArrayAsync());
        return response.IsSuccessStatusCode ? answer : throw new InvalidOperationException($"{endpoint}: {(int)response.StatusCode} {answer}");
    }

    public Task<JsonObject> QueryAsync(params string[] users) =>
        PostAsync("keys/query", JsonObject.Of(("device_keys", new JsonObject(users.Select(u => new KeyValuePair<string, JsonValue>(u, JsonArray.Empty))))));

    public void Dispose() => _http.Dispose();
}
