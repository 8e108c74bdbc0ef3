using System.Net;
using System.Net.Sockets;
using System.Text;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary>How the test homeserver asks for user-interactive auth when keys are replaced.</summary>
internal enum UiaStage
{
    Password,
    OAuth,
    /// <summary>MSC4312's unstable name, the way Synapse with MAS sends it: session "dummy", approval per user.</summary>
    OAuthUnstable,
    /// <summary>A stage keycustody cannot complete.</summary>
    Sso,
}

/// <summary>One request as the homeserver received it.</summary>
internal sealed record RecordedRequest(string Method, string Path, string Query, string? Authorization, byte[] Body)
{
    public JsonObject Json => CanonicalJson.ParseObject(Body);
}

/// <summary>
/// A small homeserver for tests (HttpListener on 127.0.0.1, a free port): users with access tokens and
/// passwords, device keys, stored cross-signing keys, and <c>/keys/device_signing/upload</c> and
/// <c>/keys/signatures/upload</c> checked the way Synapse checks them (matrix-signing.md §3.3–3.4), with
/// KeyCustody.Matrix doing the signature checks. Every request is recorded; nothing is logged.
/// </summary>
internal sealed partial class TestHomeserver : IDisposable
{
    private const string ClientApi = "/_matrix/client/v3/";

    private readonly HttpListener _listener;
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _passwords = new(StringComparer.Ordinal);
    private readonly List<RecordedRequest> _requests = [];

    public TestHomeserver()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                _listener = listener;
                Url = $"http://127.0.0.1:{port}";
                break;
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                // Someone took the port between the probe and the start: take another.
                try
                {
                    listener.Close();
                }
                catch (HttpListenerException)
                {
                    // Closing a listener that never started may try the same taken port once more.
                }
            }
        }

        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The base URL, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string Url { get; }

    public UiaStage Stage { get; set; } = UiaStage.Password;

    /// <summary>With the OAuth stages: the approval counts as given as soon as the URL is handed out (a quick person).</summary>
    public bool ApproveOnIssue { get; set; }

    /// <summary>Failures in /keys/signatures/upload the spec's way (<c>errcode</c>, <c>error</c>) instead of Synapse's (<c>status</c>, <c>errcode</c>, <c>message</c>).</summary>
    public bool SpecStyleFailures { get; set; }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public IEnumerable<RecordedRequest> RequestsTo(string endpoint) => Requests.Where(r => r.Path == ClientApi + endpoint);

    public void AddUser(string userId, string accessToken, string password)
    {
        lock (_gate)
        {
            _tokens[accessToken] = userId;
            _passwords[userId] = Encoding.UTF8.GetBytes(password);
        }
    }

    public void Dispose()
    {
        // Close only (it also stops): the managed HttpListener removes its prefixes on Stop and again on Close, and the
        // second removal binds the port anew to find its endpoint, which fails with "Address already in use" when a
        // parallel test has taken the freed port meanwhile (seen once in ./test.sh).
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // The listener was stopped under a pending GetContextAsync.
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                Handle(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The client went away.
            }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        using var body = new MemoryStream();
        request.InputStream.CopyTo(body);
        var recorded = new RecordedRequest(request.HttpMethod, request.Url!.AbsolutePath, request.Url.Query, request.Headers["Authorization"], body.ToArray());
        int status;
        JsonObject answer;
        lock (_gate)
        {
            _requests.Add(recorded);
            (status, answer) = Route(recorded, request.QueryString["session"]);
        }

        var bytes = CanonicalJson.Encode(answer);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }

    private (int, JsonObject) Route(RecordedRequest request, string? session)
    {
        if (request.Method == "GET" && request.Path == ApprovalPath)
        {
            return Approve(session);
        }

        if (request.Method != "POST" || !request.Path.StartsWith(ClientApi, StringComparison.Ordinal))
        {
            return Error(404, "M_UNRECOGNIZED", "Unrecognized request");
        }

        // Like Synapse: the token comes in the Authorization header; ?access_token= is not looked at here,
        // so a client relying on it fails.
        if (request.Authorization is not { } header || !header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Error(401, "M_MISSING_TOKEN", "Missing access token.");
        }

        if (!_tokens.TryGetValue(header["Bearer ".Length..], out var user))
        {
            return Error(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.");
        }

        JsonObject json;
        try
        {
            json = request.Json;
        }
        catch (FormatException)
        {
            return Error(400, "M_NOT_JSON", "Content not JSON.");
        }

        return request.Path[ClientApi.Length..] switch
        {
            "keys/device_signing/upload" => DeviceSigningUpload(user, json),
            "keys/signatures/upload" => SignaturesUpload(user, json),
            _ => Error(404, "M_UNRECOGNIZED", "Unrecognized request"),
        };
    }

    private static (int, JsonObject) Error(int status, string errcode, string error) =>
        (status, JsonObject.Of(("errcode", errcode), ("error", error)));
}
