using System.Net.Sockets;
using System.Text;

namespace KeyCustody.HwSim.Control;

/// <summary>Sends one request line to a running simulator's control socket and returns its JSON answer.</summary>
public static class ControlClient
{
    public static string Send(string socketPath, string request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        socket.Send(Encoding.UTF8.GetBytes(request + "\n"));
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        int n;
        while ((n = socket.Receive(chunk)) > 0)
        {
            buffer.AddRange(chunk.AsSpan(0, n));
        }

        return Encoding.UTF8.GetString(buffer.ToArray()).Trim();
    }
}
