using System.Net.Sockets;

namespace KeyCustody.HwSim.Transport;

/// <summary>
/// vpcd's wire format: every message is a 2-byte big-endian length and the payload. TCP_QUICKACK is re-armed
/// before every receive because Debian's vpcd sends length and payload in two writes (Nagle + delayed ACK
/// would otherwise cost ~40 ms per message).
/// </summary>
internal static class VpcdFraming
{
    private const int IpProtoTcp = 6;
    private const int TcpQuickAck = 12;
    private static readonly byte[] QuickAckOn = BitConverter.GetBytes(1);

    /// <summary>Reads one message; null when the peer closed the connection.</summary>
    public static byte[]? Receive(Socket socket)
    {
        var header = new byte[2];
        if (!ReceiveExactly(socket, header))
        {
            return null;
        }

        var payload = new byte[(header[0] << 8) | header[1]];
        return ReceiveExactly(socket, payload) ? payload : null;
    }

    /// <summary>Sends length and payload in one write.</summary>
    public static void Send(Socket socket, ReadOnlySpan<byte> payload)
    {
        var message = new byte[payload.Length + 2];
        message[0] = (byte)(payload.Length >> 8);
        message[1] = (byte)payload.Length;
        payload.CopyTo(message.AsSpan(2));
        int sent = 0;
        while (sent < message.Length)
        {
            sent += socket.Send(message, sent, message.Length - sent, SocketFlags.None);
        }
    }

    private static bool ReceiveExactly(Socket socket, byte[] buffer)
    {
        int received = 0;
        while (received < buffer.Length)
        {
            socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, QuickAckOn);
            int n = socket.Receive(buffer, received, buffer.Length - received, SocketFlags.None);
            if (n == 0)
            {
                return false;
            }

            received += n;
        }

        return true;
    }
}
