using KeyCustody.Daemon.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>When the daemon gives memory back: once after each burst of work, never while working, never when idle.</summary>
public sealed class IdleMemoryTrimTests
{
    [Fact]
    public void Trims_once_after_work_and_never_during_it_or_while_idle()
    {
        var collections = 10;
        var trims = 0;
        var trim = new IdleMemoryTrim(NullLogger<IdleMemoryTrim>.Instance, () => collections, () =>
        {
            trims++;
            collections++; // the trim's own collection
        });

        // Idle since start: nothing to give back.
        Assert.False(trim.Tick());
        Assert.False(trim.Tick());

        // Working: collections between every look.
        collections += 3;
        Assert.False(trim.Tick());
        collections += 1;
        Assert.False(trim.Tick());

        // The work is over: one quiet interval, then one trim, and not again while it stays quiet.
        Assert.True(trim.Tick());
        Assert.Equal(1, trims);
        Assert.False(trim.Tick());
        Assert.False(trim.Tick());

        // The next burst, and its end.
        collections += 2;
        Assert.False(trim.Tick());
        Assert.True(trim.Tick());
        Assert.Equal(2, trims);
        Assert.False(trim.Tick());
    }
}
