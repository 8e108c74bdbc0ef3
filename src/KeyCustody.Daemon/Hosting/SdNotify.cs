using System.Net.Sockets;
using System.Text;

namespace KeyCustody.Daemon.Hosting;

/// <summary>systemd's readiness protocol (Type=notify): one datagram to $NOTIFY_SOCKET. A no-op outside systemd.</summary>
internal static class SdNotify
{
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
}
