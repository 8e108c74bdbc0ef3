using System.Diagnostics;
using System.Reflection;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Tokens;
using Prometheus;

namespace KeyCustody.Daemon.Metrics;

/// <summary>
/// The daemon's metrics in a registry of their own (no process or runtime families, nothing another library adds). The
/// request core, the health round and the audit log report to it through small hooks; what is a state (queue depth,
/// approvals pending, the audit log's health) is read when Prometheus scrapes. Label values are bounded: key and token
/// names from the configuration (a key name a caller made up is <see cref="UnknownKey"/>), results from
/// <see cref="Signing.RequestResults"/>, operations and stages from fixed lists. Never a payload, user id, device id,
/// principal or secret.
/// </summary>
public sealed class DaemonMetrics
{
    /// <summary>The key label of a request that named no configured key (the caller's text is never a label value).</summary>
    public const string UnknownKey = "(unknown)";

    // From a millisecond (an fsync, a software signature) to five minutes (an operator's approval).
    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly HashSet<string> _keys;
    private readonly Counter _requests;
    private readonly Histogram _requestDuration;
    private readonly Histogram _stageDuration;
    private readonly Gauge _tokenPresent;
    private readonly Gauge _pinRetries;
    private readonly Gauge _queueDepth;
    private readonly Gauge _approvalsPending;
    private readonly Counter _auditRecords;
    private readonly Gauge _auditHealthy;

    public DaemonMetrics(ValidatedConfig config)
    {
        _keys = config.Keys.Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _requests = f.CreateCounter(MetricNames.Requests, "Signing requests that ended, by key, operation and result (signed, refused_rule, refused_policy, bad_input, presence_timeout, token_unavailable, ...).", new CounterConfiguration { LabelNames = ["key", "operation", "result"] });
        _requestDuration = f.CreateHistogram(MetricNames.RequestDuration, "Time from a signing request's arrival to its end, whatever the result.", new HistogramConfiguration { LabelNames = ["key", "operation"], Buckets = Buckets });
        _stageDuration = f.CreateHistogram(MetricNames.StageDuration, "Time in one stage of a token operation: queue, presence (an operator or a touch), token, audit_fsync (one group commit).", new HistogramConfiguration { LabelNames = ["stage"], Buckets = Buckets });
        _tokenPresent = f.CreateGauge(MetricNames.TokenPresent, "1 while the token answers the health round, 0 while it is absent.", new GaugeConfiguration { LabelNames = ["token"] });
        _pinRetries = f.CreateGauge(MetricNames.TokenPinRetries, "PIN attempts left before the token blocks its PIN, where the token reports them.", new GaugeConfiguration { LabelNames = ["token"] });
        _queueDepth = f.CreateGauge(MetricNames.QueueDepth, "Operations waiting for a turn on the token (not counting the ones at work).", new GaugeConfiguration { LabelNames = ["token"] });
        _approvalsPending = f.CreateGauge(MetricNames.ApprovalsPending, "Requests waiting for an operator's approval.");
        _auditRecords = f.CreateCounter(MetricNames.AuditRecords, "Audit records written and fsync'd by this process.");
        _auditHealthy = f.CreateGauge(MetricNames.AuditHealthy, "1 while the audit log accepts records, 0 once a write or fsync failed (then nothing is signed).");
        var build = f.CreateGauge(MetricNames.BuildInfo, "Always 1: the daemon's version and the commit it was built from.", new GaugeConfiguration { LabelNames = ["version", "commit"] });
        var (version, commit) = Version(typeof(DaemonMetrics).Assembly);
        build.WithLabels(version, commit).Set(1);

        foreach (var token in config.Tokens)
        {
            _queueDepth.WithLabels(token.Name).Set(0);
        }

        foreach (var stage in StageNames.All)
        {
            _stageDuration.WithLabels(stage);
        }
    }

    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    /// <summary>What is read at each scrape: queue depths, approvals pending, the audit log's health.</summary>
    public void Watch(IReadOnlyList<TokenHost> tokens, ApprovalBroker approvals, AuditLog audit)
    {
        _auditHealthy.Set(audit.Failure is null ? 1 : 0);
        Registry.AddBeforeCollectCallback(() =>
        {
            foreach (var token in tokens)
            {
                _queueDepth.WithLabels(token.Name).Set(token.Queue.Waiting);
            }

            _approvalsPending.Set(approvals.Pending.Count);
            _auditHealthy.Set(audit.Failure is null ? 1 : 0);
        });
    }

    /// <summary>A signing request ended with <paramref name="result"/> (a <see cref="Signing.RequestResults"/> word), <paramref name="started"/> a <see cref="Stopwatch"/> timestamp.</summary>
    public void RequestEnded(string keyName, string operation, string result, long started)
    {
        var key = _keys.Contains(keyName) ? keyName : UnknownKey;
        _requests.WithLabels(key, operation, result).Inc();
        _requestDuration.WithLabels(key, operation).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>One stage (a <see cref="StageNames"/> name) took <paramref name="took"/>.</summary>
    public void StageTook(string stage, TimeSpan took) => _stageDuration.WithLabels(stage).Observe(Math.Max(0, took.TotalSeconds));

    /// <summary>The health round's finding for one token: present or not, and its PIN retries where it reports them.</summary>
    public void TokenProbed(string token, bool present, int? pinRetries)
    {
        _tokenPresent.WithLabels(token).Set(present ? 1 : 0);
        if (pinRetries is { } left)
        {
            _pinRetries.WithLabels(token).Set(left);
        }
        else if (!present)
        {
            // An absent token's counter is unknown, not what it was: the series goes until the token answers again.
            _pinRetries.RemoveLabelled(token);
        }
    }

    /// <summary>
    /// An operation's turn on its token: the queue's time ends (<paramref name="queued"/>, a <see cref="Stopwatch"/> timestamp
    /// of when it asked for the turn), the work is timed, a touch it waited for counted as presence, the rest as token.
    /// </summary>
    public async Task<T> TimeTokenWorkAsync<T>(TokenWork<T> work, ISigningToken token, long queued, CancellationToken cancellation)
    {
        StageTook(StageNames.Queue, Stopwatch.GetElapsedTime(queued));
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await work.RunAsync(token, cancellation).ConfigureAwait(false);
        }
        finally
        {
            var touch = work.PresenceWaited;
            if (touch > TimeSpan.Zero)
            {
                StageTook(StageNames.Presence, touch);
            }

            StageTook(StageNames.Token, Stopwatch.GetElapsedTime(started) - touch);
        }
    }

    /// <summary>The audit log wrote and fsync'd <paramref name="records"/> records in <paramref name="took"/>.</summary>
    public void AuditCommitted(int records, TimeSpan took)
    {
        _auditRecords.Inc(records);
        StageTook(StageNames.AuditFsync, took);
    }

    /// <summary>"1.0.0+9fcd709..." (the SDK adds the commit to the informational version) → ("1.0.0", "9fcd709...").</summary>
    internal static (string Version, string Commit) Version(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? (informational, "unknown") : (informational[..plus], informational[(plus + 1)..]);
    }
}
