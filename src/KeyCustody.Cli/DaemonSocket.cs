using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Grpc.Core;
using KeyCustody.Client;
using KeyCustody.Contract;

namespace KeyCustody.Cli;

/// <summary>
/// Which daemon the CLI talks to: <c>--socket</c>, else <c>$KEYCUSTODY_SOCKET</c>, else the system daemon's socket when
/// it exists, else the socket of the user's own <c>keycustodyd --simulator</c> when that exists (so a newcomer's first
/// command meets the demo without flags), else the system daemon's (for the error message).
/// </summary>
internal static class DaemonSocket
{
    public const string Variable = "KEYCUSTODY_SOCKET";

    /// <summary>
    /// The help text says the search order of <see cref="Default"/> itself: the option has no default value of its own,
    /// because System.CommandLine would print the one path that search gives now as "[default: …]", which contradicts
    /// the order (and names the system socket on a machine that has none).
    /// </summary>
    public static string Description =>
        $"the daemon's Unix socket; without it, keycustody uses ${Variable} when set, else {DaemonSockets.System} when it exists, else your keycustodyd --simulator's {DaemonSockets.Simulator() ?? "socket (none here: no HOME or XDG_RUNTIME_DIR)"} when it exists, else {DaemonSockets.System}";

    /// <summary>The socket to use: <c>--socket</c> when given, else <see cref="Default"/>.</summary>
    public static string Chosen(ParseResult parsed, Option<string> socket) => parsed.GetValue(socket) ?? Default();

    public static string Default()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            return given;
        }

        // The simulator's socket only when it has a place of its own (never one relative to the working directory).
        return !File.Exists(DaemonSockets.System) && DaemonSockets.Simulator() is { } simulator && File.Exists(simulator) ? simulator : DaemonSockets.System;
    }

    /// <summary>
    /// Every place <see cref="Default"/> looks, in order, for a message when none has a socket; with
    /// <c>$KEYCUSTODY_SOCKET</c> set, that is the only place it looks (a simulator's socket elsewhere is not tried).
    /// </summary>
    public static string Tried() => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } set
        ? $"${Variable}={set}, the only place looked while it is set: unset it to search"
        : string.Join(", ", new[]
    {
        $"${Variable} (not set)",
        DaemonSockets.System,
        DaemonSockets.Simulator() is { } simulator ? simulator : "your keycustodyd --simulator's socket (none here: " + (DaemonSockets.FindSimulatorStateDirectory(out var problem) is null ? problem : string.Empty) + ")",
    });

    /// <summary>
    /// A client for the daemon at <paramref name="path"/>, after <see cref="CheckOwner"/>; on the per-user simulator socket
    /// every connection the client makes is checked again before anything is sent on it (the first check's connection is
    /// not the client's: a socket swapped in between would otherwise get the requests, migrate's key import among them).
    /// </summary>
    public static KeyCustodyClient Connect(string path)
    {
        CheckOwner(path);
        return path == DaemonSockets.Simulator() ? ConnectRequiringPeer(path, EffectiveUid()) : KeyCustodyClient.ConnectUnix(path);
    }

    /// <summary>A client whose every connection must be served by <paramref name="uid"/> (SO_PEERCRED), or fails.</summary>
    internal static KeyCustodyClient ConnectRequiringPeer(string path, uint uid) => KeyCustodyClient.ConnectUnix(path, socket =>
    {
        var peer = PeerUid(socket);
        if (peer != uid)
        {
            throw new IOException($"{path} is served by uid {peer}, not by uid {uid}: keycustody does not talk to it");
        }
    });

    /// <summary>
    /// The per-user simulator socket is only trusted when the daemon behind it runs as this user (SO_PEERCRED): a
    /// daemon of someone else there could hand out its own keys as the user's. Other sockets are chosen explicitly.
    /// </summary>
    public static void CheckOwner(string path)
    {
        if (path != DaemonSockets.Simulator())
        {
            return;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            return; // Nobody listens: the call that follows reports that in its own words.
        }

        var peer = PeerUid(socket);
        var me = EffectiveUid();
        if (peer != me)
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"{path} is served by uid {peer}, not by you (uid {me}): it is not your keycustodyd --simulator, so keycustody does not talk to it (start your own, or give --socket)"));
        }
    }

    /// <summary>The uid of the process at the other end of a connected Unix socket (SO_PEERCRED), or uint.MaxValue.</summary>
    private static uint PeerUid(Socket socket)
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> ucred = stackalloc byte[12];
        return socket.GetRawSocketOption(1 /* SOL_SOCKET */, 17 /* SO_PEERCRED */, ucred) == 12 ? MemoryMarshal.Read<uint>(ucred[4..]) : uint.MaxValue;
    }

    /// <summary>The effective uid, from /proc/self/status ("Uid: real effective saved filesystem").</summary>
    internal static uint EffectiveUid()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return uint.Parse(line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);
    }
}
