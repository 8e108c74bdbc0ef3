using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Audit;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>Alone: it measures the managed heap, which tests running beside it would move.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasuringCollection
{
    public const string Name = "heap measuring";
}

/// <summary>
/// Reading a log (the daemon's start, --check-config, `keycustody audit verify`) holds one line at a time, not the log:
/// audit logs grow to gigabytes, and a copy of one in memory cannot exceed 2 GiB.
/// </summary>
[Collection(HeapMeasuringCollection.Name)]
public sealed class AuditLogMemoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audit-verify-memory-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Opening_a_16_MB_log_holds_none_of_its_records_once_it_was_read()
    {
        // The start reads the log, then writes its start record: when that record is stamped (the first use of the clock),
        // what the start still holds of the 16 MB it read is measured.
        var path = Path.Combine(_dir, "audit.jsonl");
        using (var log = new GeneratedAuditLog(90_000))
        using (var file = File.Create(path))
        {
            log.CopyTo(file);
        }

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = new MeasuringClock(() => GC.GetTotalMemory(forceFullCollection: true) - before);
        using (var opened = AuditLog.Open(path, clock))
        {
            Assert.Equal(90_001, opened.LastSeq);
        }

        Assert.NotNull(clock.Held);
        Assert.True(clock.Held < 2_000_000, $"after reading a {new FileInfo(path).Length}-byte log the start held {clock.Held} bytes more than before it");
    }

    [Fact]
    public void Verifying_a_16_MB_log_holds_no_copy_of_it()
    {
        // About 16 MB of small records, made as they are read. At the end of the log, what the verification holds is
        // measured: a copy of the log (or of its lines) would be all 16 MB of it.
        using var log = new GeneratedAuditLog(90_000);
        long? held = null;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        log.Ended = () => held = GC.GetTotalMemory(forceFullCollection: true) - before;

        var check = AuditChain.Verify(log);

        Assert.True(check.Valid, check.Problem);
        Assert.Equal(90_000, check.Records);
        Assert.True(log.Position > 16_000_000, $"the log is {log.Position} bytes");
        Assert.NotNull(held);
        Assert.True(held < 2_000_000, $"at the end of a {log.Position}-byte log the verification held {held} bytes more than before it");
    }

    /// <summary>The system's clock that measures, at its first use, what <c>measure</c> says.</summary>
    private sealed class MeasuringClock(Func<long> measure) : TimeProvider
    {
        private int _used;

        public long? Held { get; private set; }

        public override DateTimeOffset GetUtcNow()
        {
            Measure();
            return base.GetUtcNow();
        }

        public override long GetTimestamp()
        {
            Measure();
            return base.GetTimestamp();
        }

        private void Measure()
        {
            if (Interlocked.Exchange(ref _used, 1) == 0)
            {
                Held = measure();
            }
        }
    }
}
