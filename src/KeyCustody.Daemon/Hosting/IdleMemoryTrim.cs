namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// Gives memory back to the system once a burst of work is over. Under load the GC grows its heap (regions for
/// the young generation and for batch-sized messages) and keeps it committed afterwards; on a host where the daemon
/// idles most of the time beside its callers that is memory nobody uses. When the daemon has collected garbage since
/// the last trim (it did work) and then a whole <see cref="Quiet"/> interval passes without a collection (the work is
/// over), one aggressive full collection decommits what the GC no longer needs. An idle daemon never collects; a
/// daemon under steady load never trims; a trickle of requests that collects less often than every 5 s pays for one
/// full collection after each of its collections.
/// </summary>
public sealed partial class IdleMemoryTrim : BackgroundService
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);

    private readonly ILogger<IdleMemoryTrim> _log;
    private readonly Func<int> _collections;
    private readonly Action _trim;
    private int _lastSeen;
    private int _lastTrimmed;

    public IdleMemoryTrim(ILogger<IdleMemoryTrim> log)
        : this(log, () => GC.CollectionCount(0), () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true))
    {
    }

    /// <summary>For tests: <paramref name="collections"/> counts collections so far, <paramref name="trim"/> collects.</summary>
    internal IdleMemoryTrim(ILogger<IdleMemoryTrim> log, Func<int> collections, Action trim)
    {
        _log = log;
        _collections = collections;
        _trim = trim;
        _lastSeen = _lastTrimmed = collections();
    }

    /// <summary>One look: trims when there was work since the last trim and none since the last look. Returns whether it trimmed.</summary>
    internal bool Tick()
    {
        var now = _collections();
        var quietSinceLastLook = now == _lastSeen;
        _lastSeen = now;
        if (!quietSinceLastLook || now == _lastTrimmed)
        {
            return false;
        }

        var before = Environment.WorkingSet;
        _trim();

        // The trim's own collection is not work.
        _lastTrimmed = _lastSeen = _collections();
        LogTrimmed(before / 1_000_000, Environment.WorkingSet / 1_000_000);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Quiet);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            Tick();
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Debug, Message = "Idle: memory trimmed, working set {BeforeMB} MB -> {AfterMB} MB")]
    private partial void LogTrimmed(long beforeMB, long afterMB);
}
