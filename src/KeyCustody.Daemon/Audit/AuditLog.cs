using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Audit;

/// <summary>
/// The append-only, hash-chained audit log (format: <see cref="AuditChain"/>). Each record is written
/// with one write and fsync'd before <see cref="Append"/> returns, so an intent is on disk before the
/// token is asked. If a write fails the log stops accepting records and the daemon signs nothing more.
/// At start the existing chain is read once, a line at a time (memory bounded by the longest record, not the log): it is
/// verified (a torn last line from a crash, found by reading back from the end, is cut off and noted; a last record
/// complete but for its newline is kept), its continuity is checked against the anchor (<see cref="AuditContinuity"/>),
/// and requests whose intent has no outcome are recorded as interrupted, their outcome unknown. After every group
/// commit the anchor takes the new head.
/// </summary>
public sealed class AuditLog : IDisposable
{
    private readonly Lock _lock = new();
    private readonly FileStream _file;
    private readonly TimeProvider _time;
    private readonly AuditAnchor? _anchor;
    private long _seq;
    private string _head;

    // Where the last record on disk ends (the file's length while no write runs): the tail reads up to here, never into a
    // write in progress. Set with _seq and _head, under the lock.
    private long _committedEnd;
    private string? _failure;
    private List<PendingRecord> _queue = [];
    private bool _urgentQueued;
    private bool _holding;
    private bool _writing;
    private long _inFlightSince;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _writer;
    private bool _stopping;
    private bool _writerGone;
    private int _disposed;

    // A batch's lines, in one buffer kept from batch to batch (only the writer thread uses it): a 1,000-object batch's
    // intent and outcome records are ~175 KB each, and fresh arrays of that size are the large object heap's. Kept, not
    // taken from the shared pool per batch. One grown past KeptLines (a group commit of many batches) is given back.
    private AuditBuffer? _lines;
    private const int KeptLines = 1 << 20;

    private AuditLog(FileStream file, long lastSeq, string head, TimeProvider time, AuditAnchor? anchor)
    {
        _file = file;
        _committedEnd = file.Position;
        _seq = lastSeq;
        _head = head;
        _time = time;
        _anchor = anchor;
        _writer = new Thread(RunWriter) { IsBackground = true, Name = "audit writer" };
        _writer.Start();
    }

    public string Path => _file.Name;

    public long LastSeq
    {
        get
        {
            lock (_lock)
            {
                return _seq;
            }
        }
    }

    /// <summary>The chain's head now (seq 0 and the genesis hash for an empty log).</summary>
    public AuditHead Head
    {
        get
        {
            lock (_lock)
            {
                return new AuditHead(_seq, _head);
            }
        }
    }

    /// <summary>Hears each group commit written and fsync'd: how many records, and how long the write and fsync took (metrics).</summary>
    public Action<int, TimeSpan>? Committed { get; set; }

    /// <summary>Why the log refuses records (a write or fsync failed), or null while it accepts them.</summary>
    public string? Failure
    {
        get
        {
            lock (_lock)
            {
                return _failure;
            }
        }
    }

    /// <summary>
    /// How long the oldest record not yet on disk has waited (zero when none waits). A write or fsync that hangs (a dead
    /// or frozen disk) shows here, and so does a writer that never got a thread: the watchdog's view of the audit writer.
    /// </summary>
    public TimeSpan Waiting
    {
        get
        {
            lock (_lock)
            {
                var since = _inFlightSince != 0 ? _inFlightSince : _queue.Count > 0 ? _queue[0].Queued : 0;
                return since == 0 ? TimeSpan.Zero : _time.GetElapsedTime(since);
            }
        }
    }

    /// <summary>
    /// Opens (or creates, mode 0600) the log, verifies it and records interrupted requests. With <paramref name="anchoring"/>
    /// the log must continue what its anchor recorded (else <see cref="InvalidDataException"/> says what was found and
    /// how to accept it), and the anchor follows the log from then on.
    /// </summary>
    public static AuditLog Open(string path, TimeProvider? time = null, AuditAnchoring? anchoring = null)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,

            // Unbuffered: a batch is one write of its own buffer anyway, and a write that fails (a full disk) must leave
            // nothing behind in a buffer, which closing the file would try to write again and throw at the stop.
            BufferSize = 0,
        });
        AuditAnchor? anchor = null;
        AuditLog? log = null;
        try
        {
            // One pass over the log: each record is verified, summed up for the anchor and checked for an open intent.
            var summary = AuditLogSummary.Before(anchoring);
            var intents = new AuditOpenIntents();
            var (check, start) = AuditFileRepair.Repair(file, path, record =>
            {
                summary.Add(record);
                intents.Add(record);
            });
            if (anchoring is not null)
            {
                start = start.With("anchor", Anchored(anchoring, summary, path));
                anchor = AuditAnchor.Open(anchoring.AnchorPath);
                anchor.Rebase(new AuditHead(check.Records, check.HeadHash ?? AuditChain.Genesis));
            }

            file.Seek(0, SeekOrigin.End);
            log = new AuditLog(file, check.Records, check.HeadHash ?? AuditChain.Genesis, time ?? TimeProvider.System, anchor);
            var open = intents.Ids;
            log.Append(start.With("interrupted", new JsonArray(open.Select(id => (JsonValue)id).ToArray())));
            foreach (var id in open)
            {
                log.Append(JsonObject.Of(("kind", AuditKinds.Outcome), ("request_id", id), ("outcome", AuditOutcomes.Interrupted),
                    ("error", "outcome unknown: the daemon stopped before this request's outcome was recorded; the token may have signed, and the caller may or may not have received the signature")));
            }

            return log;
        }
        catch
        {
            // A start that fails (its start record cannot be written: a full disk) leaves nothing open behind it: the log
            // (its writer thread, the anchor, the file), or what was opened before it.
            if (log is not null)
            {
                log.Dispose();
            }
            else
            {
                anchor?.Dispose();
                file.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// The start record's account of the anchor: the head it held, or "created"; and an accepted gap. A gap not accepted
    /// (or an acceptance with nothing to accept) stops the start.
    /// </summary>
    private static JsonObject Anchored(AuditAnchoring anchoring, AuditLogSummary log, string path)
    {
        var gap = AuditContinuity.Check(path, log, anchoring);
        if (gap is null && anchoring.Accept is { } stray)
        {
            throw new InvalidDataException($"--accept-audit-gap {stray} was given, but the audit log {path} continues its anchor: there is nothing to accept; remove the option");
        }

        if (gap is not null && anchoring.Accept != gap.AcceptWith)
        {
            throw new InvalidDataException(AuditContinuity.Refusal(gap));
        }

        var held = log.Anchor;
        var anchor = held is null ? JsonObject.Of(("state", "created")) : JsonObject.Of(("state", "continued"), ("seq", held.Seq), ("hash", held.Hash));
        return gap is null ? anchor : anchor.With("state", "gap_accepted").With("gap", JsonObject.Of(
            ("kind", gap.Kind), ("found", gap.Found), ("accepted_by", anchoring.AcceptedBy)));
    }

    /// <summary>Appends one record (time, seq, prev and hash are added) and fsyncs; throws <see cref="DaemonException"/> when it cannot.</summary>
    public void Append(JsonObject record) => AppendAsync(record).GetAwaiter().GetResult();

    /// <summary>
    /// Appends one record and returns once it is on disk. Records that arrive while a write is in progress are
    /// written together with one fsync after it (group commit): each caller still returns only when its own
    /// record is durable, and the chain order is the order in which records were handed over.
    /// </summary>
    public Task AppendAsync(JsonObject record) => Enqueue(record, urgent: true);

    /// <summary>
    /// How long a record nobody waits for on the way to a token (<see cref="AppendUnhurried"/>) may wait for company.
    /// The next request's intent normally arrives well within it (a caller that has its signature sends the next one).
    /// </summary>
    public static readonly TimeSpan DefaultUnhurriedHold = TimeSpan.FromMilliseconds(5);

    /// <summary>Whether the writer thread still runs (it ends with <see cref="Dispose"/>).</summary>
    internal bool WriterAlive => _writer.IsAlive;

    /// <summary>How long <see cref="Dispose"/> waits for the records handed over before it (tests shorten it to reach the close with a write still running).</summary>
    internal TimeSpan StopDrain { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="Dispose"/> then waits for the writer to end (tests shorten it).</summary>
    internal TimeSpan StopJoin { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>This log's hold (<see cref="DefaultUnhurriedHold"/>; tests lengthen it to see the riding along deterministically).</summary>
    internal TimeSpan UnhurriedHold { get; set; } = DefaultUnhurriedHold;

    /// <summary>
    /// Appends a record that no token operation waits for (a success's outcome: its caller already has the signature):
    /// it is written with the next record someone does wait for (the next intent), or after <see cref="UnhurriedHold"/>
    /// if none comes (<see cref="DefaultUnhurriedHold"/>), never alone right before such a record. So a request's intent does not queue behind the previous
    /// request's outcome fsync, and a steady stream of requests pays one fsync per group of intents, outcomes riding
    /// along. Chain order is still the order of handing over; the task completes once the record is on disk.
    /// </summary>
    public Task AppendUnhurried(JsonObject record) => Enqueue(record, urgent: false);

    /// <summary>
    /// Completes once every record handed over before it is on disk (or the log has failed: then it completes too).
    /// Stopping and reading the tail wait for it, so no record handed over is left behind.
    /// </summary>
    public Task DrainAsync()
    {
        try
        {
            return Enqueue(null, urgent: true).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        catch (DaemonException)
        {
            return Task.CompletedTask;
        }
    }

    private Task Enqueue(JsonObject? record, bool urgent)
    {
        var pending = new PendingRecord(record, _time.GetTimestamp());
        bool lead = false, hold = false, inline = false;
        lock (_lock)
        {
            if (_failure is not null)
            {
                throw DaemonErrors.AuditUnavailable(_failure);
            }

            if (_writerGone || _stopping)
            {
                // Closed (or closing: the file is closed already): nothing more is written. This caller hears it from its
                // task, every later one at once.
                _failure = "the audit log is closed";
                pending.Done.TrySetException(DaemonErrors.AuditUnavailable(_failure));
                return pending.Done.Task;
            }

            _queue.Add(pending);
            _urgentQueued |= urgent;
            if (!_writing)
            {
                lead = urgent;
                hold = !urgent && !_holding;
                _writing = lead;
                _holding |= hold;
                inline = lead && record is not null && _time.GetElapsedTime(_lastCommitEnded) >= QuietGap;
            }
        }

        if (inline)
        {
            WriteAsLeader();
        }
        else if (lead)
        {
            _wake.Release();
        }
        else if (hold)
        {
            _ = WriteAfterHoldAsync();
        }

        return pending.Done.Task;
    }

    /// <summary>
    /// How long the log must have been idle (since its last commit ended) for a caller to write its record itself. A quiet
    /// log (a lone caller; a card's signatures, tens of milliseconds apart) is written by the caller that finds it idle, on
    /// its own thread: no hand-over to the writer thread and back, each of which wakes a sleeping core. A busy one (commits
    /// back to back) by the writer thread, so that no thread-pool worker waits in an fsync while requests wait for one.
    /// </summary>
    internal static readonly TimeSpan QuietGap = TimeSpan.FromMilliseconds(1);

    private long _lastCommitEnded;

    /// <summary>
    /// The caller that found a quiet log writes the queue (its own record and any that came with it) itself. Records that
    /// arrive during that write go to the writer thread, so this caller writes one batch and waits for no one else's.
    /// </summary>
    private void WriteAsLeader()
    {
        WriteAndComplete(TakeBatch(all: true)!);
        bool handOver, hold = false;
        lock (_lock)
        {
            // Closing: the writer ends the log, and it may end only once no one else writes (RunWriter); so it is woken.
            handOver = (_urgentQueued && _queue.Count > 0) || _stopping;
            if (handOver && _writerGone)
            {
                // Closed while this caller wrote: nothing would write the rest (they fail, as every record after the close).
                _failure ??= "the audit log is closed";
                foreach (var p in _queue)
                {
                    p.Done.TrySetException(DaemonErrors.AuditUnavailable(_failure));
                }

                _queue = [];
                handOver = false;
            }

            if (!handOver)
            {
                hold = StopWriting();
            }
        }

        if (handOver)
        {
            _wake.Release();
        }
        else if (hold)
        {
            _ = WriteAfterHoldAsync();
        }
    }

    /// <summary>
    /// The log's writer: a thread of its own, woken when records wait on a busy log and no write is running (one
    /// <see cref="_wake"/> release each time <see cref="_writing"/> goes from false to true without a caller writing
    /// inline). It writes batches while someone waits for a queued record, then sleeps again. Not a thread-pool thread: a
    /// write and its fsync block for as long as the disk takes (0.1-1 ms here, far longer on a busy disk), and a pool
    /// worker blocked there is one fewer for the requests' own work (Kestrel, gRPC, parsing, the policy's verification) on a
    /// machine with as many workers as cores (bench/README-daemon.md, "The sixth session: the audit log's writer thread").
    /// </summary>
    private void RunWriter()
    {
        while (true)
        {
            _wake.Wait();
            while (true)
            {
                WriteQueued(all: true);
                lock (_lock)
                {
                    // Closing, and a caller (or the hold) took the log over since this writer stopped: one writer at a time,
                    // so this one waits; a caller writing inline wakes it when done (WriteAsLeader), the hold at once.
                    if (!_stopping || _writing)
                    {
                        break;
                    }

                    // Closing: whatever was handed over until now is written (and fails on the closed file); then the
                    // writer is gone, and later records fail at once (Enqueue).
                    if (_queue.Count == 0)
                    {
                        _writerGone = true;
                        return;
                    }

                    _writing = true;
                }
            }
        }
    }

    /// <summary>Unhurried records that found no company within the hold are written on their own.</summary>
    private async Task WriteAfterHoldAsync()
    {
        await Task.Delay(UnhurriedHold).ConfigureAwait(false);
        lock (_lock)
        {
            _holding = false;
            if (_writing || _queue.Count == 0 || _writerGone)
            {
                return;
            }

            _writing = true;
        }

        _wake.Release();
    }

    /// <summary>
    /// The leader writes batches while someone waits for a queued record (<paramref name="all"/>: the first batch in any
    /// case); unhurried records left alone in the queue wait for the next urgent one or the hold. Everyone else just
    /// waits for their record.
    /// </summary>
    private void WriteQueued(bool all)
    {
        while (TakeBatch(all) is { } batch)
        {
            all = false;
            WriteAndComplete(batch);
        }
    }

    /// <summary>Writes one batch and tells each of its callers; a failure is each one's error, and the log's from then on.</summary>
    private void WriteAndComplete(List<PendingRecord> batch)
    {
        try
        {
            WriteAndCompleteOnce(batch);
        }
        finally
        {
            Volatile.Write(ref _lastCommitEnded, _time.GetTimestamp());
        }
    }

    private void WriteAndCompleteOnce(List<PendingRecord> batch)
    {
        string? failure;
        lock (_lock)
        {
            failure = _failure;
        }

        if (failure is null)
        {
            try
            {
                failure = WriteBatch(batch);
            }
            catch (Exception e)
            {
                // Anything but an I/O error (the log was closed under the daemon, a record that cannot be sealed):
                // the callers must still hear of it, never wait forever, and the log refuses everything after.
                failure = e is ObjectDisposedException ? "the audit log is closed" : $"{e.GetType().Name}: {e.Message}";
                lock (_lock)
                {
                    _failure ??= failure;
                }
            }
        }

        foreach (var p in batch)
        {
            if (failure is null)
            {
                p.Done.TrySetResult();
            }
            else
            {
                p.Done.TrySetException(DaemonErrors.AuditUnavailable(failure));
            }
        }
    }

    /// <summary>The next batch to write, or null when the writer stops (arming the hold for unhurried records left).</summary>
    private List<PendingRecord>? TakeBatch(bool all)
    {
        bool hold;
        lock (_lock)
        {
            if (_queue.Count > 0 && (all || _urgentQueued))
            {
                var batch = _queue;
                _queue = [];
                _urgentQueued = false;
                _inFlightSince = batch[0].Queued;
                return batch;
            }

            hold = StopWriting();
        }

        if (hold)
        {
            _ = WriteAfterHoldAsync();
        }

        return null;
    }

    /// <summary>Under the lock: the writer stops; true when unhurried records are left and nobody holds them yet (arm the hold).</summary>
    private bool StopWriting()
    {
        _writing = false;
        _inFlightSince = 0;
        var hold = _queue.Count > 0 && !_holding;
        _holding |= hold;
        return hold;
    }

    /// <summary>Seals, writes and fsyncs one batch; returns the failure, if any (then the log refuses everything).</summary>
    private string? WriteBatch(List<PendingRecord> batch)
    {
        var seq = _seq;
        var head = _head;
        var buffer = _lines ??= new AuditBuffer();
        buffer.Clear();
        try
        {
            return SealAndWrite(batch, buffer, seq, head);
        }
        finally
        {
            if (buffer.Capacity > KeptLines)
            {
                _lines = null;
                buffer.Dispose();
            }
        }
    }

    private string? SealAndWrite(List<PendingRecord> batch, AuditBuffer buffer, long seq, string head)
    {
        foreach (var p in batch)
        {
            if (p.Record is null)
            {
                continue;
            }

            var stamped = p.Record.With("time", _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            head = AuditChain.Seal(stamped, ++seq, head, buffer);
            buffer.Write("\n"u8);
        }

        if (buffer.WrittenCount == 0)
        {
            return null;
        }

        var writing = Stopwatch.GetTimestamp();
        var failure = WriteDurably(buffer.WrittenSpan);
        var took = Stopwatch.GetElapsedTime(writing);
        failure ??= WriteAnchor(new AuditHead(seq, head));
        if (failure is not null)
        {
            return failure;
        }

        lock (_lock)
        {
            _seq = seq;
            _head = head;
            _committedEnd += buffer.WrittenCount;
        }

        // Barriers (DrainAsync) are not records: only records are counted.
        Committed?.Invoke(batch.Count(p => p.Record is not null), took);
        return null;
    }

    /// <summary>Appends and fsyncs; on failure the file is cut back to where it was, and the log refuses everything after.</summary>
    private string? WriteDurably(ReadOnlySpan<byte> lines)
    {
        var before = _file.Length;
        try
        {
            _file.Write(lines);
            _file.Flush(flushToDisk: true);
            return null;
        }
        catch (IOException e)
        {
            lock (_lock)
            {
                _failure = e.Message;
            }

            try
            {
                _file.SetLength(before);
            }
            catch (IOException)
            {
                // The failure is already recorded; the log refuses everything from now on.
            }

            return e.Message;
        }
    }

    /// <summary>The anchor follows each group commit: one positioned write, no fsync (AuditAnchor says why).</summary>
    private string? WriteAnchor(AuditHead head)
    {
        try
        {
            _anchor?.Write(head);
            return null;
        }
        catch (IOException e)
        {
            var failure = "the audit anchor cannot be written: " + e.Message;
            lock (_lock)
            {
                _failure = failure;
            }

            return failure;
        }
    }

    /// <summary>
    /// Lets go of the kept line buffer unless a write is in progress (the idle trim: a daemon that is idle holds no batch's
    /// buffer). Dropped, not handed back to the shared pool, so the collection that follows frees it; the next batch
    /// starts a new one.
    /// </summary>
    public void ReleaseBuffers()
    {
        lock (_lock)
        {
            if (!_writing)
            {
                _lines = null;
            }
        }
    }

    /// <summary>
    /// The last <paramref name="count"/> records (fewer if they are more than <see cref="AuditTail.DefaultMaxBytes"/>: the
    /// last ones that fit), once every record handed over before is on disk. Read from the end of the
    /// file back to the first of them (<see cref="AuditTail"/>), outside the log's lock: records go on being written while
    /// an operator reads the tail of a log of any size, and only what is returned is held in memory. Tails run one at a time.
    /// </summary>
    /// <param name="count">How many records, from the end.</param>
    /// <param name="cancellationToken">The caller's: a caller that gave up while waiting for its turn leaves the queue at
    /// once instead of reading for no one (an admin's abandoned calls would otherwise hold every later tail back).</param>
    public async Task<IReadOnlyList<byte[]>> TailAsync(int count, CancellationToken cancellationToken = default)
    {
        // One tail at a time: each may hold up to 64 MiB of records while it reads, and admins' tails at once would add up.
        await _tails.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await DrainAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            long end;
            lock (_lock)
            {
                if (_stopping)
                {
                    // A tail that waited for its turn while the daemon stopped: the file is closed.
                    throw DaemonErrors.AuditUnavailable("the audit log is closed");
                }

                end = _committedEnd;
            }

            return AuditTail.Read(_file.SafeFileHandle, end, count, TailChunk, TailReading, TailBytes);
        }
        finally
        {
            _tails.Release();
        }
    }

    // Never disposed: a disposed SemaphoreSlim leaves the tails waiting on it waiting for ever, and throws at the Release of
    // the one reading (it holds no wait handle, so there is nothing to free). Those tails end with an error instead.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2213", Justification = "Not disposed on purpose: see above.")]
    private readonly SemaphoreSlim _tails = new(1, 1);

    /// <summary>The most a tail returns, in bytes (<see cref="AuditTail.DefaultMaxBytes"/>; tests make it small).</summary>
    internal long TailBytes { get; set; } = AuditTail.DefaultMaxBytes;

    /// <summary>How many bytes the tail reads at a time, going back from the end (tests make it small to cross chunks).</summary>
    internal int TailChunk { get; set; } = AuditTail.DefaultChunk;

    /// <summary>Called while the tail reads the file (tests: a record appended meanwhile is written at once, not after the read).</summary>
    internal Action? TailReading { get; set; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Records handed over and not waited for (outcomes) are written before the file closes: a clean stop loses none.
        DrainAsync().Wait(StopDrain);
        try
        {
            _anchor?.Flush();
        }
        catch (IOException)
        {
            // The anchor lags then; the next start compares it with the log (a lagging anchor is never a refusal).
        }

        _anchor?.Dispose();
        _file.Dispose();
        // The writer ends after the write it may still be in (a drain that timed out): that write fails on the closed file.
        // Woken only if no one writes now: a writer woken beside a caller writing inline would write beside it (two at
        // once, in one line buffer); that caller wakes it when done instead (WriteAsLeader), as the writer's own run ends
        // by itself.
        bool wake;
        lock (_lock)
        {
            _stopping = true;
            wake = !_writing;
            _writing = true;
        }

        if (wake)
        {
            _wake.Release();
        }

        if (_writer.Join(StopJoin))
        {
            _wake.Dispose();
            _lines?.Dispose();
        }
    }

    /// <summary>A record waiting for its group commit; without one, a barrier that completes with the batch it is in.</summary>
    private sealed class PendingRecord(JsonObject? record, long queued)
    {
        public JsonObject? Record { get; } = record;

        public long Queued { get; } = queued;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
