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

    public static uint EffectiveUid => geteuid();

    public static uint EffectiveGid => getegid();

    public static void ChangeGroup(string path, uint gid)
    {
        if (chown(path, -1, (int)gid) != 0)
        {
            throw new IOException($"cannot give {path} to group {gid}: errno {Marshal.GetLastPInvokeError()}");
        }
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
