using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KeyCustody.Daemon.Hosting.Systemd;

/// <summary>The listening Unix socket systemd passed (keycustodyd.socket): its descriptor and the path it is bound to.</summary>
internal sealed record InheritedSocket(int Descriptor, string Path, string Name);

/// <summary>
/// Socket activation as sd_listen_fds(3) describes it: LISTEN_PID is this process, LISTEN_FDS descriptors from 3 on,
/// LISTEN_FDNAMES their FileDescriptorName=. The daemon takes one listening Unix stream socket, named "keycustodyd"
/// (or the only one passed); any other descriptor is refused by name rather than left open unused. The variables are
/// removed once read, so nothing the daemon starts later believes it was passed sockets.
/// </summary>
internal static partial class SocketActivation
{
    /// <summary>The FileDescriptorName= of keycustodyd.socket.</summary>
    public const string Name = "keycustodyd";

    private const int FirstDescriptor = 3;

    /// <summary>The socket systemd passed, or null when none was passed to this process.</summary>
    public static InheritedSocket? Take()
    {
        var pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        var count = Environment.GetEnvironmentVariable("LISTEN_FDS");
        var names = Environment.GetEnvironmentVariable("LISTEN_FDNAMES");
        foreach (var variable in new[] { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES" })
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        if (count is null)
        {
            return null;
        }

        if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var forPid) || forPid != Environment.ProcessId)
        {
            // Meant for another process (one that started this one): not ours to take, as sd_listen_fds says.
            return null;
        }

        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
        {
            throw new DaemonStartException($"systemd socket activation: LISTEN_FDS='{count}' is not a number of descriptors");
        }

        var named = names?.Split(':') ?? [];
        string NameOf(int i) => named.Length == n ? named[i] : "unknown";
        var chosen = Enumerable.Range(0, n).Where(i => NameOf(i) == Name).ToList();
        if (chosen.Count == 0 && n == 1)
        {
            chosen.Add(0);
        }

        if (chosen.Count != 1 || n != 1)
        {
            var listed = string.Join(", ", Enumerable.Range(0, n).Select(i => $"fd {FirstDescriptor + i} named {NameOf(i)}"));
            throw new DaemonStartException($"systemd passed {n} sockets ({listed}); keycustodyd takes exactly one, its Unix socket (FileDescriptorName={Name} in keycustodyd.socket)");
        }

        var descriptor = FirstDescriptor + chosen[0];
        var path = ListeningUnixPath(descriptor);
        if (fcntl(descriptor, SetDescriptorFlags, CloseOnExec) != 0)
        {
            throw new DaemonStartException($"systemd socket activation: fd {descriptor}: cannot set close-on-exec (errno {Marshal.GetLastPInvokeError()})");
        }

        return new InheritedSocket(descriptor, path, NameOf(chosen[0]));
    }

    /// <summary>The path a listening Unix stream socket is bound to; anything else is a start refusal naming what it is.</summary>
    private static string ListeningUnixPath(int descriptor)
    {
        // Not owned: the descriptor stays open for Kestrel, which takes it as its listener.
        using var handle = new SafeSocketHandle(descriptor, ownsHandle: false);
        using var socket = new Socket(handle);
        if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Stream)
        {
            throw new DaemonStartException($"systemd passed fd {descriptor} as a {socket.AddressFamily} {socket.SocketType} socket; keycustodyd.socket must be ListenStream= on a path (a Unix stream socket)");
        }

        Span<byte> accepting = stackalloc byte[4];
        const int SolSocket = 1, SoAcceptConn = 30;
        if (socket.GetRawSocketOption(SolSocket, SoAcceptConn, accepting) != 4 || MemoryMarshal.Read<int>(accepting) == 0)
        {
            throw new DaemonStartException($"systemd passed fd {descriptor}, a Unix socket that is not listening (Accept=no and ListenStream= in keycustodyd.socket)");
        }

        var path = socket.LocalEndPoint?.ToString();
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            throw new DaemonStartException($"systemd passed fd {descriptor}, a Unix socket bound to '{path}'; keycustodyd needs one on a path in the file system");
        }

        return path;
    }

    private const int SetDescriptorFlags = 2;
    private const int CloseOnExec = 1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);
}
