using KeyCustody.Contract.Audit;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>Alone: it measures the managed heap, which tests running beside it would move.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasuringCollection
{
    public const string Name = "heap measuring";
}

/// <summary>
/// Verifying a log (the daemon's start, --check-config, `keycustody audit verify`) holds one line at a time, not the log:
/// audit logs grow to gigabytes, and a copy of one in memory cannot exceed 2 GiB.
/// </summary>
[Collection(HeapMeasuringCollection.Name)]
public sealed class AuditVerifyMemoryTests
{
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
}
