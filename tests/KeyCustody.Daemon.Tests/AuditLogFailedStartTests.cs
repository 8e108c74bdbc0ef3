using KeyCustody.Daemon.Audit;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// A start whose start record cannot be written (a full disk, a clock that fails) leaves nothing open: no writer thread,
/// no anchor or log file descriptor. Alone (the collection runs nothing beside it): it counts this process's threads
/// named "audit writer", which other tests' logs would add to.
/// </summary>
[Collection(HeapMeasuringCollection.Name)]
public sealed class AuditLogFailedStartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audit-failed-start-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_start_that_cannot_write_its_start_record_leaves_no_writer_thread_and_no_file_open()
    {
        var logPath = Path.Combine(_dir, "audit.jsonl");
        var anchoring = new AuditAnchoring(Path.Combine(_dir, AuditAnchor.FileName), StateRemains: false, Accept: null, AcceptedBy: "test");
        var writersBefore = Writers();

        var e = Assert.ThrowsAny<Exception>(() => AuditLog.Open(logPath, new FailingClock(), anchoring));
        Assert.Contains("the clock failed", e.Message, StringComparison.Ordinal);

        var open = OpenFiles();
        Assert.DoesNotContain(logPath, open);
        Assert.DoesNotContain(anchoring.AnchorPath, open);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Writers() > writersBefore && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        Assert.Equal(writersBefore, Writers());
    }

    private static int Writers() => Directory.EnumerateDirectories("/proc/self/task").Count(task =>
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == "audit writer";
        }
        catch (IOException)
        {
            return false; // The thread ended while it was read.
        }
    });

    private static List<string> OpenFiles() => Directory.EnumerateFiles("/proc/self/fd")
        .Select(fd => new FileInfo(fd).LinkTarget)
        .OfType<string>()
        .ToList();

    /// <summary>The clock stamps each record as it is sealed: here that fails, as a write to a full disk would.</summary>
    private sealed class FailingClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => throw new IOException("the clock failed");
    }
}
