using Grpc.Health.V1;
using Grpc.HealthCheck;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Tokens;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// grpc.health.v1: SERVING only while every configured token is present. Polls the tokens; when one
/// comes back, its keys are read again (and checked against their pins).
/// </summary>
public sealed partial class HealthMonitor(HealthServiceImpl health, IReadOnlyList<TokenHost> tokens, KeyRegistry keys, ILogger<HealthMonitor> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, bool> _present = new(StringComparer.Ordinal);

    /// <summary>One round: probe every token, refresh keys of tokens that came back, publish the status.</summary>
    public void Check()
    {
        var allPresent = true;
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
            allPresent &= present;
            if (present)
            {
                foreach (var key in keys.All.Where(k => k.Token == host && k.Problem is not null))
                {
                    keys.Refresh(key);
                }
            }
        }

        var serving = allPresent ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;
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

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Health check round failed; the next round runs as usual")]
    private partial void LogRoundFailed(Exception error);
}
