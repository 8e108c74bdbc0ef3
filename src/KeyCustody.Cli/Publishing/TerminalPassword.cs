using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// Reads a password from the terminal the way getpass(3) does: echo off (newline still shown) for the whole
/// read, the terminal's own line editing, bytes straight from read(2) into a buffer that is zeroed. Not
/// Console.ReadKey, which turns echo back on between keys, so fast typing could show; and never a string.
/// </summary>
internal static partial class TerminalPassword
{
    private const int StdIn = 0;
    private const int TcsaNow = 0;
    private const int TcsaFlush = 2;
    private const int TermiosSize = 256;   // struct termios is 60 bytes on Linux; room to spare
    private const int LocalFlagsOffset = 12; // c_iflag, c_oflag, c_cflag, then c_lflag (tcflag_t = uint32)
    private const uint Echo = 0x8;          // ECHO   0000010
    private const uint EchoNewline = 0x40;   // ECHONL 0000100
    private const int MaxBytes = 4096;

    /// <summary>
    /// Turns echo off, shows <paramref name="prompt"/>, and returns the line typed (without its newline) as bytes
    /// the caller zeroes; null when standard input is not a terminal. Echo goes off before the prompt shows, so
    /// nothing typed after the prompt can appear.
    /// </summary>
    public static byte[]? Read(TextWriter prompts, string prompt)
    {
        var saved = new byte[TermiosSize];
        if (OperatingSystem.IsWindows() || NativeMethods.tcgetattr(StdIn, saved) != 0)
        {
            return null;
        }

        var quiet = (byte[])saved.Clone();
        var flags = BitConverter.ToUInt32(quiet, LocalFlagsOffset);
        BitConverter.TryWriteBytes(quiet.AsSpan(LocalFlagsOffset), (flags & ~Echo) | EchoNewline);

        // Ctrl+C while echo is off must not leave the terminal silent.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { _ = NativeMethods.tcsetattr(StdIn, TcsaNow, saved); });
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { _ = NativeMethods.tcsetattr(StdIn, TcsaNow, saved); });
        var buffer = new byte[MaxBytes];
        var one = new byte[1];
        var length = 0;
        try
        {
            if (NativeMethods.tcsetattr(StdIn, TcsaFlush, quiet) != 0)
            {
                return null;
            }

            prompts.Write(prompt);
            prompts.Flush();

            while (NativeMethods.read(StdIn, one, 1) == 1 && one[0] != (byte)'\n')
            {
                if (length == MaxBytes)
                {
                    throw new UsageException($"the password is longer than {MaxBytes} bytes");
                }

                buffer[length++] = one[0];
            }

            return buffer.AsSpan(0, length).TrimEnd((byte)'\r').ToArray();
        }
        finally
        {
            _ = NativeMethods.tcsetattr(StdIn, TcsaNow, saved);
            CryptographicOperations.ZeroMemory(buffer);
            CryptographicOperations.ZeroMemory(one);
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int tcgetattr(int fd, [Out] byte[] termios);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int tcsetattr(int fd, int optionalActions, byte[] termios);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint read(int fd, [Out] byte[] buffer, nint count);
    }
}
