using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace KeyCustody.Daemon.Hosting.Systemd;

/// <summary>
/// systemd's notification protocol (sd_notify(3)): newline-separated assignments in one datagram to $NOTIFY_SOCKET —
/// READY=1, RELOADING=1, STOPPING=1, STATUS=..., WATCHDOG=1. Outside systemd (no NOTIFY_SOCKET) every call does nothing.
/// </summary>
internal static class SdNotify
{
    /// <summary>True when a service manager listens (the daemon runs under Type=notify, or a test plays systemd).</summary>
    public static bool Enabled => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    /// <summary>Sends <paramref name="state"/>; a socket error is thrown (READY=1 that cannot be told is a failed start).</summary>
    public static void Send(string state)
    {
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        // A leading '@' names an abstract socket.
        if (path[0] == '@')
        {
            path = "\0" + path[1..];
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        socket.Send(Encoding.UTF8.GetBytes(state));
    }

    /// <summary>STATUS= carries one line: line breaks would start new assignments.</summary>
    public static string Status(string text) => "STATUS=" + text.ReplaceLineEndings(" ");

    /// <summary>
    /// RELOADING=1 with the CLOCK_MONOTONIC time systemd 253+ (Type=notify-reload) wants beside it; older systemd
    /// ignores the second line. .NET's Stopwatch reads CLOCK_MONOTONIC on Linux.
    /// </summary>
    public static string Reloading()
    {
        var microseconds = (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));
        return "RELOADING=1\nMONOTONIC_USEC=" + microseconds.ToString(CultureInfo.InvariantCulture);
    }
}
