using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace KeyCustody.HwSim.State;

/// <summary>Files holding secrets: created 0600 (never readable by others, not even briefly), replaced atomically.</summary>
internal static class PrivateFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var temporary = WriteTemporary(path, content, out var full);
        try
        {
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="content"/> unless it exists; returns false (and writes nothing)
    /// when it does, also when another process creates it at the same moment: the whole file appears at once or not at
    /// all (link(2) of a complete temporary file, which fails if the name exists; File.Move without overwrite renames
    /// when it finds no file, which replaces one made in between).
    /// </summary>
    public static bool WriteIfAbsent(string path, ReadOnlySpan<byte> content)
    {
        var temporary = WriteTemporary(path, content, out var full);
        try
        {
            if (Link(temporary, full) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            return errno == EEXIST ? false : throw new IOException($"cannot create {full}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private const int EEXIST = 17;

#pragma warning disable SYSLIB1054 // DllImport: this project has no unsafe code for LibraryImport; two strings in, an int out.
    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);
#pragma warning restore SYSLIB1054

    /// <summary>A complete 0600 copy of <paramref name="content"/> beside <paramref name="path"/>, on disk; its name.</summary>
    private static string WriteTemporary(string path, ReadOnlySpan<byte> content, out string full)
    {
        full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        return temporary;
    }

    /// <summary>Reads the whole file into a buffer the caller must zero.</summary>
    public static byte[] ReadAll(string path) => File.ReadAllBytes(path);

    public static void Zero(byte[] buffer) => CryptographicOperations.ZeroMemory(buffer);
}
