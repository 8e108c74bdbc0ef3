using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Serilog;

namespace KeyCustody.Daemon.Metrics;

/// <summary>
/// The Prometheus endpoint: GET /metrics on a Kestrel server of its own (HTTP/1.1, no TLS, no credential), at
/// metrics.listen, a TCP address or a Unix socket. The signing listeners never serve it: they know only the gRPC services,
/// and a scrape there gets no metrics. Started and stopped with the daemon; an address in use stops the start.
/// </summary>
internal sealed partial class MetricsServer(MetricsSettings settings, DaemonMetrics metrics, ILogger<MetricsServer> log) : IHostedService, IDisposable
{
    /// <summary>The metrics socket's mode: the daemon's user and group (add prometheus to the keycustody group, or use loopback TCP).</summary>
    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>Prometheus' text exposition format, what CollectAndExportAsTextAsync writes.</summary>
    private const string TextFormat = "text/plain; version=0.0.4; charset=utf-8";

    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Services.AddSerilog(Log.Logger, dispose: false);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = 16;
            k.Limits.MaxRequestBodySize = 0;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            if (settings.UnixSocket is { } path)
            {
                k.ListenUnixSocket(path, lo => lo.Protocols = HttpProtocols.Http1);
            }
            else
            {
                k.Listen(settings.Address!, settings.Port, lo => lo.Protocols = HttpProtocols.Http1);
            }
        });

        var app = builder.Build();
        app.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = TextFormat;
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });

        if (settings.UnixSocket is { } socket)
        {
            DaemonHost.PrepareSocketPath(socket, "metrics.listen");
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new DaemonStartException($"metrics.listen {settings}: cannot listen there: {e.Message}", e);
        }

        _app = app;
        if (settings.UnixSocket is { } listening)
        {
            File.SetUnixFileMode(listening, SocketMode);
        }

        LogListening(settings);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => ((IDisposable?)_app)?.Dispose();

    [LoggerMessage(EventId = 340, Level = LogLevel.Information, Message = "Metrics: Prometheus endpoint on {Listen} (GET /metrics)")]
    private partial void LogListening(MetricsSettings listen);
}
