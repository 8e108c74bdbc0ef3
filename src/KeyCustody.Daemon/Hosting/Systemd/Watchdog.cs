using System.Globalization;
using System.Net.Sockets;

namespace KeyCustody.Daemon.Hosting.Systemd;

/// <summary>
/// systemd's watchdog (WatchdogSec= in the unit, WATCHDOG_USEC/WATCHDOG_PID in the environment): WATCHDOG=1 every half
/// timeout, as sd_watchdog_enabled(3) advises, and only after a round of <see cref="WatchdogProbes"/> found the daemon
/// responsive. A wedged daemon stops pinging and systemd restarts it (Restart=on-failure). Idle outside systemd.
/// </summary>
internal sealed partial class Watchdog(WatchdogProbes probes, ServiceStatus status, ILogger<Watchdog> log) : BackgroundService
{
    /// <summary>Half of WATCHDOG_USEC when the watchdog is asked for this process; null when not.</summary>
    public static TimeSpan? Interval()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0)
        {
            return null;
        }

        // WATCHDOG_PID names the process systemd watches; a child that inherited the variable must not ping.
        if (Environment.GetEnvironmentVariable("WATCHDOG_PID") is { Length: > 0 } pid
            && (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var watched) || watched != Environment.ProcessId))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(usec / 2.0);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Interval() is not { } interval)
        {
            return;
        }

        LogEnabled(interval.TotalSeconds * 2);
        string? finding = null;
        using var timer = new PeriodicTimer(interval);
        do
        {
            var now = await probes.CheckAsync(interval, stoppingToken).ConfigureAwait(false);
            if (now is null)
            {
                Ping();
                if (finding is not null)
                {
                    LogResponsiveAgain();
                }
            }
            else if (finding is null)
            {
                LogNotResponding(now);
            }

            // Updated every round while it lasts (the finding names how long the audit record has waited).
            status.NotResponding(now);
            finding = now;
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private void Ping()
    {
        try
        {
            SdNotify.Send("WATCHDOG=1");
        }
        catch (SocketException e)
        {
            LogPingFailed(e.Message);
        }
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Information, Message = "systemd watchdog: {TimeoutSeconds} s; WATCHDOG=1 every half of it while the daemon is responsive")]
    private partial void LogEnabled(double timeoutSeconds);

    [LoggerMessage(EventId = 321, Level = LogLevel.Error, Message = "Watchdog: not responding ({Finding}); WATCHDOG=1 withheld, so systemd restarts the daemon if this lasts")]
    private partial void LogNotResponding(string finding);

    [LoggerMessage(EventId = 322, Level = LogLevel.Information, Message = "Watchdog: responsive again; WATCHDOG=1 resumed")]
    private partial void LogResponsiveAgain();

    [LoggerMessage(EventId = 323, Level = LogLevel.Warning, Message = "Watchdog: WATCHDOG=1 could not be sent: {Error}")]
    private partial void LogPingFailed(string error);
}
