using System.Text;
using KeyCustody.Contract.Audit;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>The audit log's line reader: LF-separated lines through one buffer bounded by the longest line.</summary>
public sealed class AuditLineReaderTests
{
    [Fact]
    public void Lines_longer_than_the_initial_buffer_are_read_whole()
    {
        var lines = new[] { new string('a', 1000), "b", new string('c', 40_000), string.Empty, new string('d', 17) };
        var (read, torn, reader) = ReadAll(string.Join('\n', lines) + "\n", initialBufferSize: 16);
        Assert.Equal(lines, read);
        Assert.Equal(string.Empty, torn);
        Assert.InRange(reader.BufferSize, 40_001, 2 * 40_001);
    }

    [Fact]
    public void Only_LF_ends_a_line_and_a_CR_stays_in_it()
    {
        var (read, torn, _) = ReadAll("a\r\nb\rc\n\n\r\n\r", initialBufferSize: 4);
        Assert.Equal(["a\r", "b\rc", string.Empty, "\r"], read);
        Assert.Equal("\r", torn);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(AuditLineReader.DefaultBufferSize)]
    public void Bytes_after_the_last_LF_are_the_torn_tail_not_a_line(int initialBufferSize)
    {
        var tail = "{\"kind\":\"outco" + new string('x', 70_000);
        var (read, torn, _) = ReadAll("one\ntwo\n" + tail, initialBufferSize);
        Assert.Equal(["one", "two"], read);
        Assert.Equal(tail, torn);
    }

    [Fact]
    public void An_empty_stream_has_no_lines_and_no_torn_tail()
    {
        var (read, torn, reader) = ReadAll(string.Empty, initialBufferSize: 8);
        Assert.Empty(read);
        Assert.Equal(string.Empty, torn);
        Assert.Equal(8, reader.BufferSize);
    }

    [Fact]
    public void A_stream_that_hands_out_one_byte_per_read_gives_the_same_lines()
    {
        var text = "first line\n\nthird\r\n" + new string('z', 300) + "\nrest";
        var reader = new AuditLineReader(new TrickleStream(Encoding.UTF8.GetBytes(text)), initialBufferSize: 2);
        var read = new List<string>();
        while (reader.TryReadLine(out var line))
        {
            read.Add(Encoding.UTF8.GetString(line));
        }

        Assert.Equal(["first line", string.Empty, "third\r", new string('z', 300)], read);
        Assert.Equal("rest", Encoding.UTF8.GetString(reader.TornTail));
    }

    [Fact]
    public void The_torn_tail_is_asked_for_only_after_the_last_line()
    {
        var reader = new AuditLineReader(new MemoryStream("a\nb"u8.ToArray()));
        Assert.True(reader.TryReadLine(out _));
        Assert.Throws<InvalidOperationException>(() => reader.TornTail.Length);
    }

    [Fact]
    public void A_multi_megabyte_log_of_small_records_is_read_through_a_buffer_bounded_by_its_longest_line()
    {
        // About 8 MB of sealed records, one a little longer than the rest: the buffer follows the longest line, never the log.
        const int Records = 50_000;
        using var log = new GeneratedAuditLog(Records, longSeq: 20_000, longLength: 3_000);
        var reader = new AuditLineReader(log, initialBufferSize: 64);
        var longest = 0;
        var count = 0;
        while (reader.TryReadLine(out var line))
        {
            longest = Math.Max(longest, line.Length);
            count++;
        }

        Assert.Equal(Records, count);
        Assert.True(log.Position > 8_000_000, $"the log is {log.Position} bytes");
        Assert.InRange(longest, 3_000, 4_000);
        Assert.InRange(reader.BufferSize, longest + 1, 2 * (longest + 1));
    }

    /// <summary>
    /// A line longer than the reader takes (the largest array; /dev/zero, a 2 GiB sparse file) is the chain broken at that
    /// line: keycustody audit verify and keycustodyd --check-config, which handle a broken chain and I/O errors only,
    /// ended in an unhandled InvalidDataException (the CLI aborted, exit 134; the check exit 1 with a stack trace).
    /// </summary>
    [Fact]
    public void A_line_longer_than_the_reader_takes_is_the_chain_broken_at_that_line_not_an_exception()
    {
        var log = new MemoryStream();
        var head = AuditChain.Genesis;
        for (var seq = 1; seq <= 2; seq++)
        {
            var (line, hash) = AuditChain.Seal(KeyCustody.Matrix.Json.JsonObject.Of(("kind", "decision")), seq, head);
            log.Write(line);
            log.WriteByte((byte)'\n');
            head = hash;
        }

        log.Write(new byte[1000]);
        log.Position = 0;
        var result = AuditChain.Verify(new AuditLineReader(log, initialBufferSize: 16, maxLineLength: 256), null);
        Assert.False(result.Valid);
        Assert.Equal(3, result.BrokenLine);
        Assert.Equal(3L, result.BrokenSeq);
        Assert.Contains("longer than 256 bytes", result.Problem, StringComparison.Ordinal);
    }

    private static (List<string> Lines, string Torn, AuditLineReader Reader) ReadAll(string text, int initialBufferSize)
    {
        var reader = new AuditLineReader(new MemoryStream(Encoding.UTF8.GetBytes(text)), initialBufferSize);
        var lines = new List<string>();
        while (reader.TryReadLine(out var line))
        {
            lines.Add(Encoding.UTF8.GetString(line));
        }

        return (lines, Encoding.UTF8.GetString(reader.TornTail), reader);
    }

    /// <summary>A stream that hands out one byte per read (a pipe, a slow disk): lines arrive in pieces.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 1)]);
    }
}
