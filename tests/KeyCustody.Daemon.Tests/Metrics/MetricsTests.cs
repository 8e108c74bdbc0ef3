using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Daemon.Metrics;
using KeyCustody.HwSim.Control;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Metrics;

/// <summary>
/// The Prometheus endpoint of the real daemon, scraped over HTTP on its own listener during and after a signing run:
/// signed, refused by rule, refused by policy, bad input, a made-up key name, a touch that times out, a request queued
/// behind a touch, one waiting for an operator (then cancelled), a card unplugged. Every family is checked for its
/// values; no payload, user id or principal appears; /metrics on the signing socket is not served.
/// </summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private const string Marker = "metrics-payload-marker-7d2a";
    private const uint YkSerial = 4_500_001;
    private const uint SlowSerial = 4_500_002;
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private int _port;

    public async Task InitializeAsync()
    {
        _port = TestCertificates.FreePort();
        _d.Configure(new
        {
            metrics = new { listen = $"127.0.0.1:{_port}" },
            tokens = new[]
            {
                Software(_d, "soft"),
                Simulator(_d, "yk", YkSerial, touch: "manual", touchTimeoutMs: 300_000, demoKeys: false),
                Simulator(_d, "slow", SlowSerial, touch: "manual", touchTimeoutMs: 1_000, demoKeys: false),
            },
            keys = new[]
            {
                Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "srv"),
                Key("usk", "soft", "usk", "user_signing"),
                Key("unlisted", "soft", "other", "server", owner: "example.org", presence: "none", version: "other"),
                Key("op-srv", "soft", "op", "server", owner: "example.org", presence: "operator", version: "op"),
                Key("yk-srv", "yk", "9a", "server", owner: "example.org", version: "yk"),
                Key("slow-srv", "slow", "9a", "server", owner: "example.org", version: "slow"),
            },
            access = new[] { Rule(Me, ["srv", "usk", "op-srv", "yk-srv", "slow-srv"], "sign", "admin"), Rule(Me, ["*"], "admin") },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "soft", "srv");
        await Generate(client, "soft", "usk");
        await Accept(client, "usk");
        await Generate(client, "soft", "other");
        await Generate(client, "soft", "op");
        await Generate(client, "yk", "9a", pin: "never", touch: "always");
        await Generate(client, "slow", "9a", pin: "never", touch: "always");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _d.DisposeAsync();
    }

    [Fact]
    public async Task A_signing_run_shows_in_every_family_with_bounded_labels_and_no_payload()
    {
        using var client = _d.Client();
        Assert.Null((await Collect(client.Custody.SignJson(SignRequest("srv", JsonObject.Of(("note", Marker), ("user", User)))))).Error);
        Assert.Equal(StatusCode.InvalidArgument, (await Collect(client.Custody.SignJson(SignRequest("srv", "{\"not\": json"u8.ToArray())))).Error!.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, (await Collect(client.Custody.SignJson(SignRequest("usk", JsonObject.Of(("note", Marker)))))).Error!.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Collect(client.Custody.SignJson(SignRequest("unlisted", JsonObject.Of(("note", Marker)))))).Error!.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Collect(client.Custody.SignJson(SignRequest("made-up-" + Marker, JsonObject.Of(("note", Marker)))))).Error!.StatusCode);
        var (_, timeout) = await Collect(client.Custody.SignJson(SignRequest("slow-srv", JsonObject.Of(("server_name", "example.org")))));
        Assert.NotNull(timeout);

        // One request holds the card waiting for a touch, a second waits for its turn, a third for an operator.
        using var first = client.Custody.SignJson(SignRequest("yk-srv", JsonObject.Of(("server_name", "example.org"))));
        await Until(first, SignEvent.EventOneofCase.PresenceRequired);
        using var second = client.Custody.SignJson(SignRequest("yk-srv", JsonObject.Of(("server_name", "example.org"))));
        await Until(second, SignEvent.EventOneofCase.Queued);
        using var cancel = new CancellationTokenSource();
        var third = client.Custody.SignJson(SignRequest("op-srv", JsonObject.Of(("server_name", "example.org"))), cancellationToken: cancel.Token);
        await Until(third, SignEvent.EventOneofCase.PresenceRequired);
        var waiting = await Scrape();
        Assert.Equal(1, waiting.Value(MetricNames.QueueDepth, "token=yk"));
        Assert.Equal(0, waiting.Value(MetricNames.QueueDepth, "token=soft"));
        Assert.Equal(1, waiting.Value(MetricNames.ApprovalsPending));

        Touch(YkSerial);
        await Until(first, SignEvent.EventOneofCase.Signed);
        Touch(YkSerial);
        await Until(second, SignEvent.EventOneofCase.Signed);
        var thirdId = third.ResponseStream.Current.PresenceRequired.RequestId;
        await cancel.CancelAsync();
        third.Dispose();
        await Eventually(() => ReadAudit(_d).For(thirdId).Any(r => r.GetString("kind") == "outcome"));

        ControlClient.Send(Path.Combine(_d.StateDirectory, SimulatorControl.FileName), $"unplug serial={SlowSerial}");
        var m = await ScrapeUntil(s => s.Value(MetricNames.TokenPresent, "token=slow") == 0);

        // Every family, and nothing else (no process or runtime families: a registry of the daemon's own).
        Assert.Equal(MetricNames.All.Order(), m.Types.Keys.Order());
        Assert.Equal("counter", m.Types[MetricNames.Requests]);
        Assert.Equal("histogram", m.Types[MetricNames.StageDuration]);

        // Requests by key, operation and result: every outcome counted, a made-up key name never a label value.
        double Requests(string key, string result) => m.Value(MetricNames.Requests, $"key={key}", "operation=sign_json", $"result={result}");
        Assert.Equal(1, Requests("srv", "signed"));
        Assert.Equal(1, Requests("srv", "bad_input"));
        Assert.Equal(1, Requests("usk", "refused_policy"));
        Assert.Equal(1, Requests("unlisted", "refused_rule"));
        Assert.Equal(1, Requests(DaemonMetrics.UnknownKey, "refused_rule"));
        Assert.Equal(1, Requests("slow-srv", "presence_timeout"));
        Assert.Equal(2, Requests("yk-srv", "signed"));
        Assert.Equal(1, Requests("op-srv", "cancelled"));
        Assert.Equal(9, m.Find(MetricNames.Requests).Sum(s => s.Value));
        Assert.All(m.Find(MetricNames.Requests), s => Assert.Contains(s.Labels["result"], ResultWords));

        // Time per request: one observation per request, the +Inf bucket equal to the count.
        Assert.Equal(2, m.Value(MetricNames.RequestDuration + "_count", "key=srv", "operation=sign_json"));
        Assert.Equal(2, m.Value(MetricNames.RequestDuration + "_bucket", "key=yk-srv", "operation=sign_json", "le=+Inf"));
        Assert.True(m.Value(MetricNames.RequestDuration + "_sum", "key=slow-srv", "operation=sign_json") >= 0.9, "a touch timeout of 1 s");
        Assert.Equal(9, m.Find(MetricNames.RequestDuration + "_count").Sum(s => s.Value));

        // Time per stage: the token work of the signatures and key generations, the touches and the operator, each group commit.
        double Stage(string stage) => m.Value(MetricNames.StageDuration + "_count", $"stage={stage}");
        Assert.True(Stage("queue") >= 4, $"queue {Stage("queue")}");
        Assert.Equal(Stage("queue"), Stage("token"));
        Assert.True(Stage("presence") >= 4, $"presence {Stage("presence")}: two touches, a touch timeout, an operator");
        Assert.True(m.Value(MetricNames.StageDuration + "_sum", "stage=presence") >= 0.9, "a touch timeout of 1 s");
        Assert.True(Stage("audit_fsync") >= 1);

        // The tokens, their PIN counters where they report one (not the software token), queues and approvals at rest.
        Assert.Equal(1, m.Value(MetricNames.TokenPresent, "token=soft"));
        Assert.Equal(1, m.Value(MetricNames.TokenPresent, "token=yk"));
        Assert.Equal(3, m.Value(MetricNames.TokenPinRetries, "token=yk"));
        Assert.Empty(m.Find(MetricNames.TokenPinRetries, "token=soft"));
        Assert.Empty(m.Find(MetricNames.TokenPinRetries, "token=slow"));
        Assert.All(m.Find(MetricNames.QueueDepth), s => Assert.Equal(0, s.Value));
        Assert.Equal(3, m.Find(MetricNames.QueueDepth).Count);
        Assert.Equal(0, m.Value(MetricNames.ApprovalsPending));

        // The audit log: every record this process wrote after opening it (the first is the start record Open writes).
        Assert.Equal(ReadAudit(_d).Count - 1, m.Value(MetricNames.AuditRecords));
        Assert.Equal(1, m.Value(MetricNames.AuditHealthy));

        var build = Assert.Single(m.Find(MetricNames.BuildInfo));
        Assert.Equal(1, build.Value);
        Assert.Equal(DaemonMetrics.Version(typeof(DaemonHost).Assembly), (build.Labels["version"], build.Labels["commit"]));
        Assert.Matches("^[0-9a-f]{40}$", build.Labels["commit"]);

        var text = await _http.GetStringAsync(Endpoint);
        Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
        Assert.DoesNotContain(User, text, StringComparison.Ordinal);
        Assert.DoesNotContain("uid:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("example.org", text, StringComparison.Ordinal);
        Assert.DoesNotContain(m.Samples.SelectMany(s => s.Labels.Values), v => v.Contains("123456", StringComparison.Ordinal));
        var keyNames = new[] { "srv", "usk", "unlisted", "op-srv", "yk-srv", "slow-srv", DaemonMetrics.UnknownKey };
        Assert.All(m.Samples.Where(s => s.Labels.ContainsKey("key")), s => Assert.Contains(s.Labels["key"], keyNames));
    }

    [Fact]
    public async Task The_signing_socket_does_not_serve_metrics()
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(_d.Socket), cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://localhost/metrics") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("keycustody_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // And the metrics listener serves nothing else.
        using var other = await _http.GetAsync(new Uri($"http://127.0.0.1:{_port}/keycustody.v1.Custody/ListKeys"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Contains("Metrics: Prometheus endpoint on 127.0.0.1:" + _port, _d.Output, StringComparison.Ordinal);
    }

    private static readonly string[] ResultWords =
        [.. typeof(Signing.RequestResults).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)];

    private Uri Endpoint => new($"http://127.0.0.1:{_port}/metrics");

    private async Task<Exposition> Scrape()
    {
        using var response = await _http.GetAsync(Endpoint);
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        return Exposition.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Scrapes until <paramref name="done"/> (the health round runs every second); a generous backstop only.</summary>
    private async Task<Exposition> ScrapeUntil(Func<Exposition, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var m = await Scrape();
            if (done(m))
            {
                return m;
            }

            Assert.True(DateTime.UtcNow < deadline, "the scrape never showed what was awaited");
            await Task.Delay(200);
        }
    }

    private static async Task Eventually(Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "never happened");
            await Task.Delay(100);
        }
    }

    /// <summary>Reads the stream's events until one of <paramref name="kind"/>.</summary>
    private static async Task Until(AsyncServerStreamingCall<SignEvent> call, SignEvent.EventOneofCase kind)
    {
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            if (call.ResponseStream.Current.EventCase == kind)
            {
                return;
            }
        }

        Assert.Fail($"the stream ended before {kind}");
    }

    /// <summary>Presses the simulated card's button until it took a touch it was waiting for.</summary>
    private void Touch(uint serial)
    {
        var control = Path.Combine(_d.StateDirectory, SimulatorControl.FileName);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        string answer;
        do
        {
            answer = ControlClient.Send(control, $"touch serial={serial}");
        }
        while (!answer.Contains($"\"touched\":[{serial}]", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Contains($"\"touched\":[{serial}]", answer, StringComparison.Ordinal);
    }

}
