using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// Reads a secret (an access token, a password) from a file nobody else may read or write, as bytes the
/// caller owns and zeroes. Permissions are checked on the opened file, so the file read is the file checked.
/// </summary>
internal static class SecretFile
{
    private const int MaxBytes = 64 * 1024;
    private const UnixFileMode Others = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.GroupWrite;

    /// <summary>Refuses a missing, unreadable or loosely permitted file without reading it.</summary>
    public static void Check(string path, string option)
    {
        using var handle = Open(path, option);
        CheckMode(handle, path, option);
    }

    /// <summary>The file's bytes, with trailing CR/LF removed when <paramref name="trimLineEnd"/> (one line end) or all surrounding whitespace otherwise.</summary>
    public static byte[] Read(string path, string option, bool trimLineEnd)
    {
        using var handle = Open(path, option);
        CheckMode(handle, path, option);
        var buffer = new byte[MaxBytes + 1];
        try
        {
            var length = 0;
            int n;
            while (length < buffer.Length && (n = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0)
            {
                length += n;
            }

            if (length > MaxBytes)
            {
                throw new UsageException($"{option} {path} is larger than {MaxBytes} bytes; it should hold one secret");
            }

            var span = buffer.AsSpan(0, length);
            if (trimLineEnd)
            {
                span = span.EndsWith("\r\n"u8) ? span[..^2] : span.EndsWith("\n"u8) ? span[..^1] : span;
            }
            else
            {
                span = span.Trim(" \t\r\n"u8);
            }

            return span.ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private static SafeFileHandle Open(string path, string option)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {option} {path}: {e.Message}");
        }
    }

    private static void CheckMode(SafeFileHandle handle, string path, string option)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new UsageException("keycustody reads secrets only on Linux, where it can check who else may read them");
        }

        var mode = File.GetUnixFileMode(handle);
        if ((mode & Others) != 0)
        {
            throw new UsageException($"{option} {path} is open to other users (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); a file holding a secret must not be: chmod 600 {path}");
        }
    }
}
