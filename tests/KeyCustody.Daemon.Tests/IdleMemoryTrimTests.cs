using KeyCustody.Daemon.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>When the daemon gives memory back: once after each burst of work and once after the JIT's tiering that follows it, never while working, never when idle.</summary>
public sealed class IdleMemoryTrimTests
{
    [Fact]
    public async Task Trims_once_after_work_and_never_during_it_or_while_idle()
    {
        var collections = 10L;
        var trims = 0;
        var trim = new IdleMemoryTrim(NullLogger<IdleMemoryTrim>.Instance, () => new RuntimeWork(collections, 500), () =>
        {
            trims++;
            collections++; // the trim's own collection
            return Task.CompletedTask;
        }, CancellationToken.None);

        // Idle since start: nothing to give back.
        Assert.False(await trim.TickAsync());
        Assert.False(await trim.TickAsync());

        // Working: collections between every look.
        collections += 3;
        Assert.False(await trim.TickAsync());
        collections += 1;
        Assert.False(await trim.TickAsync());

        // The work is over: one quiet interval, then one trim, and not again while it stays quiet.
        Assert.True(await trim.TickAsync());
        Assert.Equal(1, trims);
        Assert.False(await trim.TickAsync());
        Assert.False(await trim.TickAsync());

        // The next burst, and its end.
        collections += 2;
        Assert.False(await trim.TickAsync());
        Assert.True(await trim.TickAsync());
        Assert.Equal(2, trims);
        Assert.False(await trim.TickAsync());
    }

    [Fact]
    public async Task Trims_again_once_the_tiering_after_a_burst_is_over_but_not_while_collections_go_on()
    {
        var collections = 10L;
        var compiled = 500L;
        var trims = 0;
        var trim = new IdleMemoryTrim(NullLogger<IdleMemoryTrim>.Instance, () => new RuntimeWork(collections, compiled), () =>
        {
            trims++;
            collections++;
            compiled++; // the trim's own first call compiles
            return Task.CompletedTask;
        }, CancellationToken.None);

        // A burst ends while the JIT is still compiling: the collections' trim does not wait for the JIT.
        collections += 5;
        compiled += 200;
        Assert.False(await trim.TickAsync());
        compiled += 40;
        Assert.True(await trim.TickAsync());
        Assert.Equal(1, trims);

        // The JIT goes on without a collection (tier-1 compilations after the load): a second trim once it stops.
        compiled += 3;
        Assert.False(await trim.TickAsync());
        compiled += 1;
        Assert.False(await trim.TickAsync());
        Assert.True(await trim.TickAsync());
        Assert.Equal(2, trims);
        Assert.False(await trim.TickAsync());

        // Under steady load the JIT stops long before the collections do: no trim until they stop too.
        collections += 2;
        compiled += 5;
        Assert.False(await trim.TickAsync());
        collections += 2;
        Assert.False(await trim.TickAsync());
        collections += 2;
        Assert.False(await trim.TickAsync());
        Assert.Equal(2, trims);
        Assert.True(await trim.TickAsync());
        Assert.Equal(3, trims);
    }

    [Fact]
    public async Task Trims_once_as_soon_as_the_daemon_serves_and_not_before()
    {
        using var serving = new CancellationTokenSource();
        var trimmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trims = 0;
        var trim = new IdleMemoryTrim(NullLogger<IdleMemoryTrim>.Instance, () => new RuntimeWork(10, 500), () =>
        {
            Interlocked.Increment(ref trims);
            trimmed.TrySetResult();
            return Task.CompletedTask;
        }, serving.Token);

        await trim.StartAsync(CancellationToken.None);
        try
        {
            // Start-up is not over until the host says it serves: the trim waits for that, not for a collection.
            Assert.Equal(0, Volatile.Read(ref trims));
            await serving.CancelAsync();
            await trimmed.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(1, Volatile.Read(ref trims));
        }
        finally
        {
            await trim.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void The_runtime_work_counts_methods_the_jit_compiles()
    {
        var before = RuntimeWork.SoFar();
        var method = new System.Reflection.Emit.DynamicMethod("fresh", typeof(int), Type.EmptyTypes);
        var il = method.GetILGenerator();
        il.Emit(System.Reflection.Emit.OpCodes.Ldc_I4, 42);
        il.Emit(System.Reflection.Emit.OpCodes.Ret);
        Assert.Equal(42, ((Func<int>)method.CreateDelegate(typeof(Func<int>)))());
        Assert.True(RuntimeWork.SoFar().Compiled > before.Compiled);
    }

    [Fact]
    public async Task Trims_again_when_the_thread_pool_has_let_threads_go_but_not_while_collections_go_on()
    {
        var collections = 10L;
        var threads = 18;
        var trims = 0;
        var trim = new IdleMemoryTrim(NullLogger<IdleMemoryTrim>.Instance, () => new RuntimeWork(collections, 500, threads), () =>
        {
            trims++;
            collections++;
            return Task.CompletedTask;
        }, CancellationToken.None);

        // A burst and its trim.
        collections += 5;
        Assert.False(await trim.TickAsync());
        Assert.True(await trim.TickAsync());
        Assert.Equal(1, trims);

        // Threads go while work goes on: no trim yet; then the pool lets threads go in a quiet daemon: one trim each time.
        threads = 16;
        collections += 1;
        Assert.False(await trim.TickAsync());
        Assert.True(await trim.TickAsync());
        Assert.Equal(2, trims);
        Assert.False(await trim.TickAsync());
        threads = 12;
        Assert.True(await trim.TickAsync());
        Assert.Equal(3, trims);

        // More threads (the next burst starting) is no reason; nor the same count.
        threads = 14;
        Assert.False(await trim.TickAsync());
        Assert.False(await trim.TickAsync());
        Assert.Equal(3, trims);
    }
}
