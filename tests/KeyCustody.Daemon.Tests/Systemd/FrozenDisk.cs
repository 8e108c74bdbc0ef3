using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Daemon.Tests.Systemd;

/// <summary>
/// A real disk that stops answering: a small ext4 image loop-mounted over a directory, which fsfreeze(8) freezes (every
/// write and fsync on it blocks, as on a hung disk or SAN) and thaws. Needs root and a loop device, as CI has. Thawed and
/// unmounted when disposed; dispose only after the processes writing to it are gone or thawed.
/// </summary>
internal sealed class FrozenDisk : IDisposable
{
    private readonly string _image;
    private bool _frozen;
    private bool _mounted;

    public FrozenDisk(string mountPoint, string image)
    {
        MountPoint = mountPoint;
        _image = image;
        Run("truncate", "-s", "16M", image);
        Run("mkfs.ext4", "-q", "-F", image);
        Run("mount", "-o", "loop", image, mountPoint);
        _mounted = true;
        File.SetUnixFileMode(mountPoint, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string MountPoint { get; }

    public void Freeze()
    {
        Run("fsfreeze", "--freeze", MountPoint);
        _frozen = true;
    }

    public void Thaw()
    {
        if (_frozen)
        {
            Run("fsfreeze", "--unfreeze", MountPoint);
            _frozen = false;
        }
    }

    /// <summary>
    /// Copies the disk as it is while frozen: everything written before the freeze and nothing after, which is what a
    /// machine that loses power at this moment finds at its next boot.
    /// </summary>
    public void Snapshot(string copy)
    {
        Assert.True(_frozen, "a snapshot is taken while the disk is frozen");
        File.Copy(_image, copy, overwrite: true);
    }

    /// <summary>Puts a <see cref="Snapshot"/> back in place of the disk (thawed, unmounted, replaced, mounted again).</summary>
    public void Restore(string copy)
    {
        Thaw();
        Run("umount", MountPoint);
        _mounted = false;
        File.Copy(copy, _image, overwrite: true);
        Run("mount", "-o", "loop", _image, MountPoint);
        _mounted = true;
    }

    public void Dispose()
    {
        Thaw();
        if (_mounted)
        {
            // mount -o loop detaches the loop device at umount.
            Run("umount", MountPoint);
            _mounted = false;
        }

        File.Delete(_image);
    }

    private static void Run(string program, params string[] arguments)
    {
        var (exit, output) = ChildProcess.Run(program, arguments);
        Assert.True(exit == 0, $"{program} {string.Join(' ', arguments)} exited {exit} (this test needs root and a loop device):\n{output}");
    }
}
