using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Metrics;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Security;
using KeyCustody.Matrix.Json;
using Xunit;

namespace KeyCustody.Daemon.Tests.Metrics;

/// <summary>
/// What the real daemon cannot be brought to cheaply, on the metrics themselves: an audit log that failed reads 0 (and
/// counts no record), and a token that goes away loses its PIN counter until it answers again.
/// </summary>
public sealed class DaemonMetricsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("daemon-metrics-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_failed_audit_log_reads_unhealthy_and_its_refused_records_are_not_counted()
    {
        var metrics = new DaemonMetrics(Config());
        var audit = AuditLog.Open(Path.Combine(_dir, "state", "audit.jsonl"));
        audit.Committed = metrics.AuditCommitted;
        metrics.Watch([], new ApprovalBroker(new AccessRules([]), approverMustDiffer: true, TimeProvider.System), audit);
        await audit.AppendAsync(JsonObject.Of(("kind", "test")));
        var healthy = await Scrape(metrics);
        Assert.Equal(1, healthy.Value(MetricNames.AuditHealthy));
        Assert.Equal(1, healthy.Value(MetricNames.AuditRecords));
        Assert.Equal(1, healthy.Value(MetricNames.StageDuration + "_count", "stage=audit_fsync"));

        audit.Dispose();
        await Assert.ThrowsAsync<DaemonException>(() => audit.AppendAsync(JsonObject.Of(("kind", "test"))));
        var failed = await Scrape(metrics);
        Assert.Equal(0, failed.Value(MetricNames.AuditHealthy));
        Assert.Equal(1, failed.Value(MetricNames.AuditRecords));
    }

    [Fact]
    public async Task A_token_that_goes_away_reads_absent_and_loses_its_pin_counter_until_it_is_back()
    {
        var metrics = new DaemonMetrics(Config());
        metrics.TokenProbed("yk", present: true, pinRetries: 2);
        var m = await Scrape(metrics);
        Assert.Equal((1, 2), (m.Value(MetricNames.TokenPresent, "token=yk"), m.Value(MetricNames.TokenPinRetries, "token=yk")));

        metrics.TokenProbed("yk", present: false, pinRetries: null);
        m = await Scrape(metrics);
        Assert.Equal(0, m.Value(MetricNames.TokenPresent, "token=yk"));
        Assert.Empty(m.Find(MetricNames.TokenPinRetries, "token=yk"));

        metrics.TokenProbed("yk", present: true, pinRetries: 1);
        Assert.Equal(1, (await Scrape(metrics)).Value(MetricNames.TokenPinRetries, "token=yk"));
    }

    private ValidatedConfig Config()
    {
        var software = Path.Combine(_dir, "soft");
        Directory.CreateDirectory(software);
        File.SetUnixFileMode(software, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return ConfigValidator.Validate(
            new DaemonConfig
            {
                StateDirectory = Path.Combine(_dir, "state"),
                Listen = new ListenConfig { UnixSocket = Path.Combine(_dir, "sock") },
                Tokens = [new TokenConfig { Name = "soft", Kind = "software", Directory = software }],
            },
            null);
    }

    private static async Task<Exposition> Scrape(DaemonMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return Exposition.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
