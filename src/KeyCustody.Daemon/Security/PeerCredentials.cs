using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KeyCustody.Daemon.Security;

/// <summary>The peer of a Unix socket connection as the kernel reports it (SO_PEERCRED): not forgeable by the peer.</summary>
internal static class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int SoPeerGroups = 59;

    public static Principal? Read(Socket socket)
    {
        if (socket.AddressFamily != AddressFamily.Unix)
        {
            return null;
        }

        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> ucred = stackalloc byte[12];
        var length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (length != 12)
        {
            return null;
        }

        var pid = MemoryMarshal.Read<int>(ucred);
        var uid = MemoryMarshal.Read<uint>(ucred[4..]);
        var gid = MemoryMarshal.Read<uint>(ucred[8..]);
        return Principal.FromPeer(uid, gid, pid, Groups(socket));
    }

    /// <summary>The peer's supplementary groups (Linux 4.13+); empty where the kernel cannot say.</summary>
    private static uint[] Groups(Socket socket)
    {
        Span<byte> buffer = stackalloc byte[256 * sizeof(uint)];
        try
        {
            var length = socket.GetRawSocketOption(SolSocket, SoPeerGroups, buffer);
            return MemoryMarshal.Cast<byte, uint>(buffer[..length]).ToArray();
        }
        catch (SocketException)
        {
            return [];
        }
    }
}

/// <summary>Set on each Unix-socket connection by the listener's connection middleware.</summary>
internal sealed record PeerPrincipalFeature(Principal Principal);
