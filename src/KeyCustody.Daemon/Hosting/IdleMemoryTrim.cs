using KeyCustody.Daemon.Audit;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// Gives memory back to the system once a burst of work is over. Under load the GC grows its heap (regions for
/// the young generation and for batch-sized messages) and keeps it committed afterwards, and native allocations (the
/// JIT above all) leave freed memory in malloc's arenas; on a host where the daemon idles most of the time beside its
/// callers that is memory nobody uses. A trim is one aggressive full collection (the GC decommits what it no longer
/// needs) after Kestrel's free buffers are let go (<see cref="ServerBuffers"/>), then the JIT's cached working memory (<see cref="JitSlabs"/>), then <see cref="NativeHeap.Trim"/> (malloc's
/// free pages go back). It runs when a whole <see cref="Quiet"/> interval passes without a collection after there were
/// collections since the last trim (a burst is over), again when the JIT, which goes on tiering up hot methods after
/// a burst, has compiled since the last trim and then a quiet interval passes without collections or compilations, and
/// again when the thread pool has let threads go since the last trim (their per-thread buffers are garbage then).
/// Measured (bench/run-daemon.sh --memory --keys soft-ssk,hsm-ssk,sim-ssk, on a 2-core machine loaded by others): the
/// collections-only trim left 8-10 MB of free malloc memory resident, and with TieredPGO tier-1 compilations went on for
/// 30-45 s after the load stopped (one of them left 7 MB in an arena); a minute after the burst VmRSS was 132.0 MB with
/// the collections-only trim and 114.2 MB with this one, against 99.6 and 99.3 MB idle (within 20% of idle from 40 s on).
/// The first trim comes once the daemon serves: start-up's garbage and malloc memory (configuration, dependency injection,
/// opening the tokens) go back at once. Measured the same way (--memory --keys soft-ssk, loaded machine): VmRSS 98.2 MB
/// 3 s after start and 97.9 MB 90 s after (RssAnon 16.4 and 14.4 MB), against 99.3 MB idle in the earlier run without
/// this trim: start-up leaves little garbage; an idle daemon's VmRSS is mostly mapped files (66.7 MB, 44.3 MB of it
/// framework assemblies shared with other .NET processes) and JIT code (16.9 MB in the W^X double mapping); 60 s after
/// that run's burst 112.2 MB. An idle daemon trims only while its start-up code is still tiering up; a daemon under
/// steady load never trims (it collects); a trickle of requests that collects less often than every 5 s pays for one full collection after each of
/// its collections.
/// </summary>
public sealed partial class IdleMemoryTrim : BackgroundService
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);

    private readonly ILogger<IdleMemoryTrim> _log;
    private readonly Func<RuntimeWork> _work;
    private readonly Func<Task> _trim;
    private readonly CancellationToken _started;
    private RuntimeWork _lastSeen;
    private RuntimeWork _lastTrimmed;

    public IdleMemoryTrim(ILogger<IdleMemoryTrim> log, IHostApplicationLifetime lifetime, ServerBuffers buffers, AuditLog audit)
        : this(log, RuntimeWork.SoFar, () => TrimNow(buffers, audit), lifetime.ApplicationStarted)
    {
    }

    /// <summary>
    /// For tests: <paramref name="work"/> counts the runtime's work so far, <paramref name="trim"/> trims,
    /// <paramref name="started"/> is cancelled once the daemon serves.
    /// </summary>
    internal IdleMemoryTrim(ILogger<IdleMemoryTrim> log, Func<RuntimeWork> work, Func<Task> trim, CancellationToken started)
    {
        _log = log;
        _work = work;
        _trim = trim;
        _started = started;
        _lastSeen = _lastTrimmed = work();
    }

    /// <summary>
    /// The runtime keeps the JIT's freed working memory (slabs under 1 MB, up to 16 MB) for its next compilations and
    /// frees a slab only when the finalizer thread has woken twice, at least 2 s apart, without it being reused
    /// (JitHost::Reclaim in the runtime). Waiting for pending finalizers wakes that thread.
    /// </summary>
    private static readonly TimeSpan JitSlabs = TimeSpan.FromSeconds(2.5);

    private static async Task TrimNow(ServerBuffers buffers, AuditLog audit)
    {
        // Kestrel's free blocks and the audit writer's kept line buffer first, so that the collection below reclaims them.
        buffers.ReleaseFree();
        audit.ReleaseBuffers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        await Task.Delay(JitSlabs).ConfigureAwait(false);
        GC.WaitForPendingFinalizers();
        _ = NativeHeap.Trim();
    }

    /// <summary>One look: trims when a burst or the tiering after it is over (see the class). Returns whether it trimmed.</summary>
    internal async Task<bool> TickAsync()
    {
        var now = _work();
        var noCollections = now.Collections == _lastSeen.Collections;
        var noCompilations = now.Compiled == _lastSeen.Compiled;
        _lastSeen = now;
        var burstOver = noCollections && now.Collections != _lastTrimmed.Collections;
        var tieringOver = noCollections && noCompilations && now.Compiled != _lastTrimmed.Compiled;

        // The thread pool lets a thread go after 20 s without work, well after the burst's trim: what the thread kept
        // for itself (the shared array pool's per-thread arrays) is garbage from then on, and in a quiet daemon nothing
        // collects it. Measured (native daemon, bench/run-daemon.sh, 2026-12-05): 18 threads at the burst's trim, 13 and
        // then 12 about 20 and 35 s later, VmRSS flat at 60.3 MB for the minute after the load (idle 47.9).
        var threadsRetired = noCollections && now.Threads >= 0 && _lastTrimmed.Threads >= 0 && now.Threads < _lastTrimmed.Threads;
        if (!burstOver && !tieringOver && !threadsRetired)
        {
            return false;
        }

        await TrimAsync().ConfigureAwait(false);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_started.Register(() => serving.TrySetResult()))
        using (stoppingToken.Register(() => serving.TrySetCanceled(stoppingToken)))
        {
            await serving.Task.ConfigureAwait(false);
        }

        await TrimAsync().ConfigureAwait(false);
        using var timer = new PeriodicTimer(Quiet);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await TickAsync().ConfigureAwait(false);
        }
    }

    private async Task TrimAsync()
    {
        var before = Environment.WorkingSet;
        await _trim().ConfigureAwait(false);

        // The trim's own collection (and the compiling of its first call) is not work.
        _lastTrimmed = _lastSeen = _work();
        LogTrimmed(before / 1_000_000, Environment.WorkingSet / 1_000_000, _lastSeen.Collections, _lastSeen.Compiled);
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "Idle: memory trimmed, working set {BeforeMB} MB -> {AfterMB} MB ({Collections} collections, {Compiled} methods compiled so far)")]
    private partial void LogTrimmed(long beforeMB, long afterMB, long collections, long compiled);
}
