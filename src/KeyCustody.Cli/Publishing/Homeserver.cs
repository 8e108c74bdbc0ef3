using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// A homeserver's client-server API as one user: HTTPS (plain HTTP only to this machine), the access token
/// in <c>Authorization: Bearer</c> (never <c>?access_token=</c>, which the unstable spec drops), no
/// redirects followed, a timeout on every request, answers of at most 1 MiB.
/// </summary>
internal sealed class Homeserver : IDisposable
{
    private readonly SocketsHttpHandler _handler;
    private readonly HttpClient _http;
    private readonly byte[] _token;

    private Homeserver(Uri baseUri, byte[] token, TimeSpan timeout)
    {
        BaseUri = baseUri;
        Timeout = timeout;
        _token = token;
        _handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ConnectTimeout = timeout };
        _http = new HttpClient(_handler, disposeHandler: false)
        {
            Timeout = timeout,
            MaxResponseContentBufferSize = 1 << 20,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("keycustody", "1"));
    }

    public Uri BaseUri { get; }

    public TimeSpan Timeout { get; }

    /// <summary>Checks the URL and reads the access token file (which nobody else may read).</summary>
    public static Homeserver Open(string url, string accessTokenFile, int timeoutSeconds)
    {
        var baseUri = ParseUrl(url);
        if (timeoutSeconds is < 1 or > 3600)
        {
            throw new UsageException("--timeout-seconds must be between 1 and 3600");
        }

        var token = SecretFile.Read(accessTokenFile, "--access-token-file", trimLineEnd: false);
        if (token.Length == 0 || token.Any(b => b is < 0x21 or > 0x7e))
        {
            CryptographicOperations.ZeroMemory(token);
            throw new UsageException($"--access-token-file {accessTokenFile} must hold one access token (printable ASCII, nothing else)");
        }

        return new Homeserver(baseUri, token, TimeSpan.FromSeconds(timeoutSeconds));
    }

    /// <summary>The base URL of the client-server API: http(s), no query, fragment or credentials; http only to localhost.</summary>
    public static Uri ParseUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new UsageException($"--homeserver must be an https:// URL, not '{url}'");
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new UsageException("--homeserver must be the homeserver's base URL, without a query, fragment or credentials");
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            throw new UsageException("--homeserver must use https://: plain http would send the access token in the clear (it is allowed only to this machine)");
        }

        return new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
    }

    /// <summary>POSTs a JSON body to <paramref name="endpoint"/> (relative, e.g. <c>_matrix/client/v3/keys/signatures/upload</c>).</summary>
    public Task<HomeserverResponse> PostAsync(string endpoint, ReadOnlyMemory<byte> json, CancellationToken ct) => SendAsync(HttpMethod.Post, endpoint, json, ct);

    /// <summary>GET, or PUT/POST with a JSON body, to <paramref name="endpoint"/> (relative to the base URL).</summary>
    public async Task<HomeserverResponse> SendAsync(HttpMethod method, string endpoint, ReadOnlyMemory<byte>? json, CancellationToken ct)
    {
        using var content = json is { } body ? new ReadOnlyMemoryContent(body) : null;
        content?.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(method, new Uri(BaseUri, endpoint)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Encoding.ASCII.GetString(_token));
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                throw new HomeserverException(
                    ExitCodes.No,
                    $"the homeserver answered {(int)response.StatusCode} (a redirect to {response.Headers.Location}); give --homeserver as the client-server API's base URL",
                    (int)response.StatusCode);
            }

            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            return new HomeserverResponse((int)response.StatusCode, ParseJson(bytes));
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new HomeserverException(ExitCodes.Unavailable, $"the homeserver at {BaseUri} did not answer within {(int)Timeout.TotalSeconds} s");
        }
        catch (HttpRequestException e)
        {
            var why = e.HttpRequestError == HttpRequestError.ConnectionError && e.InnerException is { } inner ? inner.Message : e.Message;
            throw new HomeserverException(ExitCodes.Unavailable, $"cannot reach the homeserver at {BaseUri}: {HomeserverResponse.OneLine(why)}");
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_token);
        _http.Dispose();
        _handler.Dispose();
    }

    private static JsonElement? ParseJson(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
