using System.Runtime.InteropServices;

namespace KeyCustody.Daemon.Tests.RequestCore;

/// <summary>
/// The disk under one open file of this process fills up: the file's descriptor is pointed at /dev/full (dup2), so every
/// write to it fails with ENOSPC from the kernel, as on a full disk, while the file on disk stays as it was. Disposing
/// points the descriptor back at the file. In process: the file must be open here, by exactly one descriptor.
/// </summary>
internal sealed class FullDisk : IDisposable
{
    private readonly int _fd;
    private readonly int _saved;

    private FullDisk(int fd, int saved)
    {
        _fd = fd;
        _saved = saved;
    }

    /// <summary>Fills the disk under the one descriptor this process has open on <paramref name="path"/>.</summary>
    public static FullDisk Under(string path)
    {
        var target = Path.GetFullPath(path);
        var fds = new DirectoryInfo("/proc/self/fd").GetFiles()
            .Where(f => f.LinkTarget == target)
            .Select(f => int.Parse(f.Name, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        if (fds.Count != 1)
        {
            throw new InvalidOperationException($"{target} is open by {fds.Count} descriptors here, not one");
        }

        var saved = Check(NativeMethods.dup(fds[0]), "dup");
        using var full = File.OpenHandle("/dev/full", FileMode.Open, FileAccess.Write);
        Check(NativeMethods.dup2((int)full.DangerousGetHandle(), fds[0]), "dup2");
        return new FullDisk(fds[0], saved);
    }

    /// <summary>Points the descriptor back at the file, unless its owner closed it meanwhile (its number may be another file's now).</summary>
    public void Dispose()
    {
        if (new FileInfo($"/proc/self/fd/{_fd}").LinkTarget == "/dev/full")
        {
            Check(NativeMethods.dup2(_saved, _fd), "dup2");
        }

        Check(NativeMethods.close(_saved), "close");
    }

    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new InvalidOperationException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int dup(int fd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int dup2(int oldFd, int newFd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int close(int fd);
    }
}
