using System.Globalization;
using System.Net;

namespace KeyCustody.Daemon.Configuration;

/// <summary>
/// Where the Prometheus endpoint listens after validation: a TCP address (<see cref="Address"/>, <see cref="Port"/>) or a
/// Unix socket (<see cref="UnixSocket"/>). Never the signing socket nor the mutual-TLS endpoint: the metrics need no
/// credential, and the signing listeners serve only authenticated callers.
/// </summary>
public sealed record MetricsSettings(IPAddress? Address, int Port, string? UnixSocket)
{
    public const string UnixPrefix = "unix:";

    /// <summary>How the configuration and --check-config name it ("127.0.0.1:9464", "unix:/run/keycustody/metrics.sock").</summary>
    public override string ToString() => UnixSocket is { } path
        ? UnixPrefix + path
        : Address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    internal static MetricsSettings? Validate(MetricsConfig c, string? signingSocket, TcpSettings? tcp, Action<string, string> fail)
    {
        if (c.Listen is not { } listen)
        {
            return null;
        }

        const string At = "metrics.listen";
        if (listen.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            var path = listen[UnixPrefix.Length..];
            if (!Path.IsPathFullyQualified(path))
            {
                fail(At, $"'{listen}': the Unix socket must be an absolute path (unix:/run/keycustody/metrics.sock)");
                return null;
            }

            path = Path.GetFullPath(path);
            if (path == signingSocket)
            {
                fail(At, $"'{listen}' is the signing socket (listen.unixSocket): metrics need a listener of their own");
                return null;
            }

            return new MetricsSettings(null, 0, path);
        }

        var colon = listen.LastIndexOf(':');
        var host = colon > 0 ? listen[..colon].Trim('[', ']') : string.Empty;
        IPAddress? address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var a) ? a : null;
        if (address is null || !int.TryParse(listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            fail(At, $"'{listen}' is neither IP:port (127.0.0.1:9464, an IP address or localhost) nor unix:/absolute/path");
            return null;
        }

        if (tcp is not null && tcp.Port == port && (tcp.Host == host || (tcp.Host == "localhost" && IPAddress.IsLoopback(address))))
        {
            fail(At, $"'{listen}' is the signing endpoint (listen.tcp.endpoint): metrics need a listener of their own");
            return null;
        }

        return new MetricsSettings(address, port, null);
    }
}
