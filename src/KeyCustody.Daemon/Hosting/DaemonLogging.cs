using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Hosting.Systemd;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// The daemon's one logger, for the host's ILogger and the static Log alike: the journal with fields when standard output
/// is the journal (<see cref="JournalSink"/>), the console otherwise, and the JSON log file when configured.
/// </summary>
internal static class DaemonLogging
{
    public static Serilog.Core.Logger Create(ValidatedConfig cfg)
    {
        var lc = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Grpc", LogEventLevel.Warning)
            .Enrich.FromLogContext();
#pragma warning disable CA2000 // The logger owns the sink and disposes it with itself.
        if (JournalSink.OpenIfJournal(cfg.JournalSocket) is { } journal)
#pragma warning restore CA2000
        {
            lc.WriteTo.Sink(journal);
        }
        else
        {
            lc.WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}", formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }

        if (cfg.LogFile is not null)
        {
            lc.WriteTo.File(new CompactJsonFormatter(), cfg.LogFile);
        }

        return lc.CreateLogger();
    }
}
