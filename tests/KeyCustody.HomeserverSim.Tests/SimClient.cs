using System.Net.Http.Headers;
using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim.Tests;

/// <summary>A client of the simulator as one user's device: plain HTTP, the token in the Authorization header.</summary>
internal sealed class SimClient(string baseUrl, string? token) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(baseUrl + "/") };

    public async Task<(int Status, JsonObject Body)> SendAsync(HttpMethod method, string path, JsonValue? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(CanonicalJson.Encode(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, CanonicalJson.ParseObject(await response.Content.ReadAsByteArrayAsync()));
    }

    public Task<(int Status, JsonObject Body)> PostAsync(string endpoint, JsonValue body) => SendAsync(HttpMethod.Post, "_matrix/client/v3/" + endpoint, body);

    public async Task<JsonObject> QueryAsync(params string[] users)
    {
        var (status, body) = await PostAsync("keys/query", JsonObject.Of(("device_keys", new JsonObject(users.Select(u => new KeyValuePair<string, JsonValue>(u, JsonArray.Empty))))));
        Xunit.Assert.Equal(200, status);
        return body;
    }

    public void Dispose() => _http.Dispose();
}
