using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim;

/// <summary>
/// A simulator of the parts of the Matrix client-server API KeyCustody uses, over HTTP on loopback (Kestrel): access
/// tokens handed out without a login, global account data, <c>/keys/upload</c>, <c>/keys/query</c>,
/// <c>/keys/device_signing/upload</c> with user-interactive auth and <c>/keys/signatures/upload</c>, answered the way
/// Synapse answers them. It is not a homeserver: no rooms, no sync, no federation, nothing persisted. Every request is
/// recorded for tests; nothing is logged.
/// </summary>
public sealed class HomeserverSimulator : IDisposable, IAsyncDisposable
{
    private const string ClientApi = "/_matrix/client/v3/";
    private const int MaxBody = 1 << 20;

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _requests = [];
    private SimState _state = null!;
    private Router _router = null!;

    /// <summary>Starts on 127.0.0.1 on a free port (tests).</summary>
    public HomeserverSimulator()
        : this("127.0.0.1", 0)
    {
        StartAsync().GetAwaiter().GetResult();
    }

    private HomeserverSimulator(string bind, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.WebHost.UseUrls($"http://{bind}:{port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBody);
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>The base URL, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string Url { get; private set; } = string.Empty;

    public UiaStage Stage
    {
        get => Locked(() => _state.Uia.Stage);
        set => Locked(() => _state.Uia.Stage = value);
    }

    /// <summary>With the OAuth stages: the approval counts as given as soon as the URL is handed out (a quick person).</summary>
    public bool ApproveOnIssue
    {
        get => Locked(() => _state.Uia.ApproveOnIssue);
        set => Locked(() => _state.Uia.ApproveOnIssue = value);
    }

    /// <summary>Failures in /keys/signatures/upload the spec's way (<c>errcode</c>, <c>error</c>) instead of Synapse's (<c>status</c>, <c>errcode</c>, <c>message</c>).</summary>
    public bool SpecStyleFailures
    {
        get => Locked(() => _state.SpecStyleFailures);
        set => Locked(() => _state.SpecStyleFailures = value);
    }

    public IReadOnlyList<RecordedRequest> Requests => Locked(() => (IReadOnlyList<RecordedRequest>)[.. _requests]);

    /// <summary>User-interactive-auth sessions handed out, in order.</summary>
    public IReadOnlyList<string> Sessions => Locked(() => _state.Uia.Sessions);

    /// <summary>Starts a simulator listening on <paramref name="bind"/>:<paramref name="port"/> (0: any free port).</summary>
    public static async Task<HomeserverSimulator> StartAsync(string bind, int port, CancellationToken ct = default)
    {
        var simulator = new HomeserverSimulator(bind, port);
        await simulator.StartAsync(ct).ConfigureAwait(false);
        return simulator;
    }

    public IEnumerable<RecordedRequest> RequestsTo(string endpoint) => Requests.Where(r => r.Path == ClientApi + endpoint);

    /// <summary>A user with a password, and an access token for one of their devices (a new device ID when null).</summary>
    public void AddUser(string userId, string accessToken, string password, string? deviceId = null) =>
        Locked(() => _state.Accounts.Add(userId, accessToken, password, deviceId));

    /// <summary>A new access token for a device of the user (made when new; the password is kept for an existing user).</summary>
    public (string AccessToken, string DeviceId) Register(string userId, string? password = null, string? deviceId = null) =>
        Locked(() => _state.Accounts.Register(userId, password, deviceId));

    /// <summary>Registers a device as the device itself would have uploaded it (self-signed).</summary>
    public void AddDevice(JsonObject deviceKeys) => Locked(() => _state.Keys.SetDevice(deviceKeys));

    /// <summary>Stores a cross-signing key as if it had been uploaded ("master", "self_signing", "user_signing").</summary>
    public void SetCrossSigningKey(string userId, string usage, JsonObject key) => Locked(() => _state.Keys.SetCrossSigningKey(userId, usage, key));

    /// <summary>The key as stored, with every signature uploaded for it since (what no single user sees: see <c>/keys/query</c>).</summary>
    public JsonObject? CrossSigningKey(string userId, string usage) => Locked(() => _state.Keys.CrossSigningKey(userId, usage, null)?.Json);

    /// <summary>The device as stored, with every signature uploaded for it since.</summary>
    public JsonObject? Device(string userId, string deviceId) => Locked(() => _state.Keys.Device(userId, deviceId));

    /// <summary>A room the given users share (only its member list exists); returns its ID.</summary>
    public string CreateRoom(params string[] members) => Locked(() => _state.Rooms.Create(new Uri(Url).Host, members));

    public JsonObject? AccountData(string userId, string type) => Locked(() => _state.AccountData.Get(userId, type));

    public void SetAccountData(string userId, string type, JsonObject content) => Locked(() => _state.AccountData.Put(userId, type, content));

    /// <summary>Answers one client-server request as the holder of <paramref name="accessToken"/> would get it over HTTP (recorded too).</summary>
    public Answer Route(string method, string endpoint, string accessToken, JsonObject body)
    {
        var request = new RecordedRequest(method, ClientApi + endpoint, string.Empty, "Bearer " + accessToken, CanonicalJson.Encode(body));
        lock (_gate)
        {
            _requests.Add(request);
            return _router.Route(request, null);
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StartAsync(CancellationToken ct = default)
    {
        await _app.StartAsync(ct).ConfigureAwait(false);
        Url = _app.Urls.First().TrimEnd('/');
        _state = new SimState(Url);
        _router = new Router(_state);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? string.Empty, request.Headers.Authorization.FirstOrDefault(), body.ToArray());
        Answer answer;
        lock (_gate)
        {
            _requests.Add(recorded);
            answer = _router.Route(recorded, request.Query["session"].FirstOrDefault());
        }

        var bytes = CanonicalJson.Encode(answer.Body);
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private T Locked<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    private void Locked(Action write)
    {
        lock (_gate)
        {
            write();
        }
    }
}
