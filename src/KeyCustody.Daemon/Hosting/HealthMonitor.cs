using Grpc.Health.V1;
using Grpc.HealthCheck;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Hosting.Systemd;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Tokens;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// grpc.health.v1: SERVING only while every configured token is present and the audit log accepts records (a failed
/// one signs nothing). Polls the tokens; when one comes back, its keys are read again (and checked against their pins).
/// The same round feeds systemd's STATUS= line and the metrics (tokens present, PIN retries left).
/// </summary>
internal sealed partial class HealthMonitor(HealthServiceImpl health, IReadOnlyList<TokenHost> tokens, KeyRegistry keys, AuditLog audit, ServiceStatus status, ILogger<HealthMonitor> log, Metrics.DaemonMetrics? metrics = null) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, bool> _present = new(StringComparer.Ordinal);
    private bool _auditFailed;

    /// <summary>One round: probe every token, refresh keys of tokens that came back, publish the status.</summary>
    public void Check()
    {
        var allPresent = true;
        var presence = new List<(string, bool)>(tokens.Count);
        foreach (var host in tokens)
        {
            var (status, error) = host.Probe();
            var present = status is not null;
            if (_present.TryGetValue(host.Name, out var was) && was != present)
            {
                if (present)
                {
                    LogBack(host.Name);
                }
                else
                {
                    LogGone(host.Name, error ?? "absent");
                }
            }

            _present[host.Name] = present;
            metrics?.TokenProbed(host.Name, present, status?.PinRetriesLeft);
            presence.Add((host.Name, present));
            allPresent &= present;
            if (present)
            {
                foreach (var key in keys.All.Where(k => k.Token == host && k.Problem is not null))
                {
                    keys.Refresh(key);
                }
            }
        }

        var failure = audit.Failure;
        if (failure is not null && !_auditFailed)
        {
            LogAuditFailed(failure);
        }

        _auditFailed = failure is not null;
        status.Tokens(presence);
        status.AuditFailure(failure);
        var serving = allPresent && failure is null ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;
        health.SetStatus(string.Empty, serving);
        health.SetStatus("keycustody.v1.Custody", serving);
        health.SetStatus("keycustody.v1.Admin", HealthCheckResponse.Types.ServingStatus.Serving);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                Check();
            }
#pragma warning disable CA1031 // A failed round is logged and the next one runs: the monitor must not stop the daemon.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogRoundFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Token {Token} is gone: {Error}")]
    private partial void LogGone(string token, string error);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Token {Token} is back")]
    private partial void LogBack(string token);

    [LoggerMessage(EventId = 303, Level = LogLevel.Critical, Message = "The audit log refuses records ({Failure}): nothing is signed until the daemon is restarted on a working log; health is NOT_SERVING")]
    private partial void LogAuditFailed(string failure);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Health check round failed; the next round runs as usual")]
    private partial void LogRoundFailed(Exception error);
}
