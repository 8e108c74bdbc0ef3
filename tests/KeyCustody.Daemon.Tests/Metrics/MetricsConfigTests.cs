using System.Net.Sockets;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Metrics;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Metrics;

/// <summary>
/// metrics.listen: off when absent; an IP address (or localhost) and a port, or unix:/absolute/path; never the signing
/// socket or endpoint. --check-config says where the endpoint is; a Unix socket endpoint serves /metrics (mode 0660).
/// </summary>
public sealed class MetricsConfigTests
{
    private static readonly TcpSettings Tcp = new("127.0.0.1", 7443, "c", "k", "ca", 10);

    [Theory]
    [InlineData("127.0.0.1:9464", "127.0.0.1:9464")]
    [InlineData("localhost:9464", "127.0.0.1:9464")]
    [InlineData("[::1]:9464", "[::1]:9464")]
    [InlineData("0.0.0.0:9100", "0.0.0.0:9100")]
    [InlineData("unix:/run/keycustody/metrics.sock", "unix:/run/keycustody/metrics.sock")]
    public void A_valid_listen_address_is_taken(string listen, string shown)
    {
        var problems = new List<string>();
        var settings = MetricsSettings.Validate(new MetricsConfig { Listen = listen }, "/run/keycustody/keycustodyd.sock", Tcp, (s, p) => problems.Add($"{s}: {p}"));
        Assert.Empty(problems);
        Assert.Equal(shown, settings!.ToString());
    }

    [Theory]
    [InlineData("9464", "is neither IP:port")]
    [InlineData("metrics.example.org:9464", "is neither IP:port")]
    [InlineData("127.0.0.1:0", "is neither IP:port")]
    [InlineData("127.0.0.1:70000", "is neither IP:port")]
    [InlineData("127.0.0.1:-1", "is neither IP:port")]
    [InlineData("unix:metrics.sock", "the Unix socket must be an absolute path")]
    [InlineData("unix:/run/keycustody/keycustodyd.sock", "is the signing socket (listen.unixSocket)")]
    [InlineData("127.0.0.1:7443", "is the signing endpoint (listen.tcp.endpoint)")]
    public void A_bad_listen_address_is_refused_naming_the_setting(string listen, string problem)
    {
        var problems = new List<string>();
        Assert.Null(MetricsSettings.Validate(new MetricsConfig { Listen = listen }, "/run/keycustody/keycustodyd.sock", Tcp, (s, p) => problems.Add($"{s}: {p}")));
        var only = Assert.Single(problems);
        Assert.StartsWith("metrics.listen: '" + listen + "'", only, StringComparison.Ordinal);
        Assert.Contains(problem, only, StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_are_off_unless_a_listen_address_is_given() =>
        Assert.Null(MetricsSettings.Validate(new MetricsConfig(), null, null, (_, p) => Assert.Fail(p)));

    [Fact]
    public async Task Check_config_names_the_endpoint_or_says_it_is_off_and_a_bad_one_stops_the_start()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new { tokens = new[] { Software(d, "soft") } });
        var (exit, stdout, stderr) = d.RunToEnd("--check-config", "--config", d.ConfigFile);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("note: metrics: off (metrics.listen turns the Prometheus endpoint on)", stdout, StringComparison.Ordinal);

        var socket = Path.Combine(d.Root, "metrics", "metrics.sock");
        d.Configure(new { metrics = new { listen = "unix:" + socket }, tokens = new[] { Software(d, "soft") } });
        (exit, stdout, stderr) = d.RunToEnd("--check-config", "--config", d.ConfigFile);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"ok: metrics: Prometheus endpoint on unix:{socket} (/metrics; no credential, no payloads or user ids)", stdout, StringComparison.Ordinal);

        d.Configure(new { metrics = new { listen = "unix:" + d.Socket }, tokens = new[] { Software(d, "soft") } });
        (exit, _, stderr) = d.RunToEnd("--check-config", "--config", d.ConfigFile);
        Assert.Equal(2, exit);
        Assert.Contains("metrics.listen: 'unix:" + d.Socket + "' is the signing socket", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_address_in_use_stops_the_start_naming_the_setting()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        await using var d = DaemonProcess.Create();
        d.Configure(new { metrics = new { listen = $"127.0.0.1:{port}" }, tokens = new[] { Software(d, "soft") } });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"metrics.listen 127.0.0.1:{port}: cannot listen there", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_unix_socket_endpoint_serves_the_metrics_to_the_daemons_group()
    {
        await using var d = DaemonProcess.Create();
        var socket = Path.Combine(d.Root, "metrics", "metrics.sock");
        d.Configure(new { metrics = new { listen = "unix:" + socket }, tokens = new[] { Software(d, "soft") } });
        await d.StartAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(socket));

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancellation);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler);
        var m = Exposition.Parse(await http.GetStringAsync(new Uri("http://localhost/metrics")));
        Assert.Equal(1, m.Value(MetricNames.TokenPresent, "token=soft"));
        Assert.Equal(1, m.Value(MetricNames.AuditHealthy));
    }
}
