using System.Buffers;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli;

/// <summary>Input and output for commands: whole documents or one document per line, as bytes.</summary>
internal static class CliIo
{
    /// <summary>
    /// Reads FILE (or stdin for null or "-"), at most one byte more than the reader's size limit; a larger input is
    /// refused here, with its size (a file's whole size; standard input's is unknown past the limit).
    /// </summary>
    public static byte[] ReadDocument(string? file)
    {
        using var stream = OpenInput(file);
        var limit = CanonicalJsonLimits.DefaultMaxBytes + 1;
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while (buffer.Length < limit && (n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, limit - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, n);
        }

        if (buffer.Length > CanonicalJsonLimits.DefaultMaxBytes)
        {
            var size = file is null or "-" || !File.Exists(file) ? "more than " + ByteSize.Describe(CanonicalJsonLimits.DefaultMaxBytes) : ByteSize.Describe(new FileInfo(file).Length);
            throw new UsageException($"{(file is null or "-" ? "standard input" : file)} is {size}; the limit is {ByteSize.Describe(CanonicalJsonLimits.DefaultMaxBytes)}");
        }

        return buffer.ToArray();
    }

    /// <summary>True when a line from <see cref="ReadLines"/> was longer than the limit (it is cut one byte past it).</summary>
    public static bool TooLong(byte[] line) => line.Length > CanonicalJsonLimits.DefaultMaxBytes;

    public static string TooLongMessage => $"the line is more than {ByteSize.Describe(CanonicalJsonLimits.DefaultMaxBytes)}, the limit";

    /// <summary>Reads FILE or stdin line by line (LF-separated); a final line without LF counts, a final empty one does not.</summary>
    public static IEnumerable<byte[]> ReadLines(string? file)
    {
        using var stream = new BufferedStream(OpenInput(file), 1 << 16);
        var line = new ArrayBufferWriter<byte>();
        int b;
        var any = false;
        while ((b = stream.ReadByte()) >= 0)
        {
            any = true;
            if (b == '\n')
            {
                yield return line.WrittenSpan.ToArray();
                line.ResetWrittenCount();
                any = false;
                continue;
            }

            if (line.WrittenCount <= CanonicalJsonLimits.DefaultMaxBytes)
            {
                line.GetSpan(1)[0] = (byte)b;
                line.Advance(1);
            }
        }

        if (any)
        {
            yield return line.WrittenSpan.ToArray();
        }
    }

    public static Stream OpenOutput() => new BufferedStream(Console.OpenStandardOutput(), 1 << 16);

    public static void WriteLine(Stream output, ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        output.WriteByte((byte)'\n');
    }

    public static void WriteLine(Stream output, string text) => WriteLine(output, System.Text.Encoding.UTF8.GetBytes(text));

    private static Stream OpenInput(string? file)
    {
        if (file is null or "-")
        {
            return Console.OpenStandardInput();
        }

        try
        {
            return File.OpenRead(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {file}: {e.Message}");
        }
    }
}
