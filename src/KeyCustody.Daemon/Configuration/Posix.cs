using System.Runtime.InteropServices;

namespace KeyCustody.Daemon.Configuration;

/// <summary>The few libc calls .NET does not wrap: chown (socket group) and user/group name lookup.</summary>
internal static partial class Posix
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, int owner, int group);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc")]
    private static partial uint getegid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sigaction(int signal, byte* action, byte* previous);

    [LibraryImport("libc")]
    private static partial nint signal(int signal, nint handler);

    public static uint EffectiveUid => geteuid();

    /// <summary>
    /// Gives <paramref name="signalNumber"/> its default action back if the process was started with it ignored (nohup, or
    /// a parent that ignores SIGHUP): .NET respects an inherited SIG_IGN and then never installs the handler a
    /// PosixSignalRegistration asks for, so the signal would be silently dropped. True when it was ignored. Call it right
    /// before registering: between the two the default action (for SIGHUP, ending the process) is in force.
    /// </summary>
    public static unsafe bool StopIgnoring(int signalNumber)
    {
        const nint SigIgn = 1, SigDfl = 0;
        // struct sigaction starts with the handler (a union of sa_handler and sa_sigaction) on every glibc architecture.
        var current = stackalloc byte[256];
        if (sigaction(signalNumber, null, current) != 0 || *(nint*)current != SigIgn)
        {
            return false;
        }

        signal(signalNumber, SigDfl);
        return true;
    }

    public static uint EffectiveGid => getegid();

    public static void ChangeGroup(string path, uint gid)
    {
        if (chown(path, -1, (int)gid) != 0)
        {
            throw new IOException($"cannot give {path} to group {gid}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// A file's mode bits and owner, as stat(2) reports them (.NET gives the mode but not the owner). statx(2), whose
    /// struct is the same on every architecture: stx_uid at byte 20, stx_gid at 24, stx_mode at 28.
    /// </summary>
    public static unsafe (UnixFileMode Mode, uint Uid, uint Gid) Stat(string path)
    {
        const int AtFdCwd = -100;
        const uint StatxMode = 0x2, StatxUid = 0x8, StatxGid = 0x10;
        var buffer = stackalloc byte[256];
        if (statx(AtFdCwd, path, 0, StatxMode | StatxUid | StatxGid, buffer) != 0)
        {
            throw new IOException($"cannot stat {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        var span = new ReadOnlySpan<byte>(buffer, 256);
        return ((UnixFileMode)(MemoryMarshal.Read<ushort>(span[28..]) & 0xfff), MemoryMarshal.Read<uint>(span[20..]), MemoryMarshal.Read<uint>(span[24..]));
    }

    /// <summary>
    /// The device and inode of an open descriptor as "DEV:INO", the way systemd writes JOURNAL_STREAM (st_dev as glibc
    /// encodes a dev_t, both in decimal). statx(2) with AT_EMPTY_PATH: stx_ino at byte 32, stx_dev_major/minor at 136/140.
    /// </summary>
    public static unsafe string? DeviceAndInode(int descriptor)
    {
        const int AtEmptyPath = 0x1000;
        const uint StatxIno = 0x100;
        var buffer = stackalloc byte[256];
        if (statx(descriptor, string.Empty, AtEmptyPath, StatxIno, buffer) != 0)
        {
            return null;
        }

        var span = new ReadOnlySpan<byte>(buffer, 256);
        ulong major = MemoryMarshal.Read<uint>(span[136..]), minor = MemoryMarshal.Read<uint>(span[140..]);
        var device = ((major & 0xfff) << 8) | ((major & 0xfffff000) << 32) | (minor & 0xff) | ((minor & 0xffffff00) << 12);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{device}:{MemoryMarshal.Read<ulong>(span[32..])}");
    }

    /// <summary>Resolves a user name through /etc/passwd (the names a systemd unit would use).</summary>
    public static uint? LookupUser(string name) => Lookup("/etc/passwd", name);

    public static uint? LookupGroup(string name) => Lookup("/etc/group", name);

    private static uint? Lookup(string file, string name)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        foreach (var line in File.ReadLines(file))
        {
            var fields = line.Split(':');
            if (fields.Length > 2 && fields[0] == name && uint.TryParse(fields[2], out var id))
            {
                return id;
            }
        }

        return null;
    }
}
