using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Audit;
using KeyCustody.Matrix.Json;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>The audit log itself: group commit under concurrency, torn tails, broken chains.</summary>
public sealed class AuditLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audit-log-test-").FullName;

    private string LogPath => Path.Combine(_dir, "audit.jsonl");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Concurrent_appends_are_each_written_once_in_one_valid_chain()
    {
        using (var log = AuditLog.Open(LogPath))
        {
            await Task.WhenAll(Enumerable.Range(0, 500).Select(i => Task.Run(() => log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", (long)i))))));
            Assert.Equal(501, log.LastSeq);
        }

        using (var stream = File.OpenRead(LogPath))
        {
            Assert.True(AuditChain.Verify(stream).Valid);
        }

        var numbers = File.ReadAllLines(LogPath).Skip(1).Select(l => ((JsonInteger)CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(l))["n"]!).Value).ToList();
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (long)i), numbers.Order());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LogPath));
    }

    [Fact]
    public async Task Small_records_after_a_large_one_are_written_as_themselves()
    {
        // The log keeps one buffer for its lines from batch to batch (one grown past 1 MiB is given back): each batch
        // after a larger one must be written as itself.
        static JsonObject Intent(int hashes) => JsonObject.Of(("kind", "intent"), ("payload_sha256", new JsonArray(Enumerable.Range(0, hashes).Select(i => (JsonValue)i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)).ToArray())));
        using (var log = AuditLog.Open(LogPath))
        {
            await log.AppendAsync(Intent(3000));
            await Task.WhenAll(Enumerable.Range(0, 10).Select(i => log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", (long)i)))));
            await log.AppendAsync(Intent(20_000));
            await Task.WhenAll(Enumerable.Range(10, 10).Select(i => log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", (long)i)))));
        }

        using (var stream = File.OpenRead(LogPath))
        {
            var check = AuditChain.Verify(stream);
            Assert.True(check.Valid, check.Problem);
            Assert.Equal(23, check.Records);
        }

        var records = File.ReadAllLines(LogPath).Skip(1).Select(l => CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(l))).ToList();
        Assert.Equal([3000, 20_000], records.Where(r => r.GetString("kind") == "intent").Select(r => ((JsonArray)r["payload_sha256"]!).Count));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), records.Where(r => r.GetString("kind") == "test").Select(r => ((JsonInteger)r["n"]!).Value).Order());
    }

    [Fact]
    public async Task Batches_after_the_idle_trim_let_go_of_the_line_buffer_are_written_as_themselves()
    {
        static JsonObject Intent(int hashes) => JsonObject.Of(("kind", "intent"), ("payload_sha256", new JsonArray(Enumerable.Range(0, hashes).Select(i => (JsonValue)i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)).ToArray())));
        using (var log = AuditLog.Open(LogPath))
        {
            await log.AppendAsync(Intent(3000));
            log.ReleaseBuffers();
            await log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", 1L)));
            log.ReleaseBuffers();
            log.ReleaseBuffers();
            await log.AppendAsync(Intent(2000));
        }

        using var stream = File.OpenRead(LogPath);
        var check = AuditChain.Verify(stream);
        Assert.True(check.Valid, check.Problem);
        Assert.Equal(4, check.Records);
    }

    [Fact]
    public void Records_handed_over_and_not_waited_for_are_on_disk_after_a_clean_stop()
    {
        var log = AuditLog.Open(LogPath);
        var handed = Enumerable.Range(0, 300).Select(i => log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", (long)i)))).ToList();
        log.Dispose();
        Assert.All(handed, t => Assert.True(t.IsCompletedSuccessfully));
        using (var reopened = AuditLog.Open(LogPath))
        {
            Assert.Equal(302, reopened.LastSeq);
        }
    }

    [Fact]
    public async Task An_unhurried_record_with_no_company_is_on_disk_within_its_hold()
    {
        using var log = AuditLog.Open(LogPath);
        var outcome = log.AppendUnhurried(JsonObject.Of(("kind", "test"), ("n", 1L)));
        Assert.True(await Task.WhenAny(outcome, Task.Delay(TimeSpan.FromSeconds(30))) == outcome, "the unhurried record was never written");
        Assert.Equal(2, log.LastSeq);
        Assert.Equal(1L, ((JsonInteger)CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(File.ReadAllLines(LogPath)[^1]))["n"]!).Value);
    }

    [Fact]
    public async Task An_unhurried_record_rides_with_the_next_urgent_one_in_one_commit_in_handing_order()
    {
        using var log = AuditLog.Open(LogPath);
        log.UnhurriedHold = TimeSpan.FromHours(1);
        var commits = new List<int>();
        log.Committed = (records, _) =>
        {
            lock (commits)
            {
                commits.Add(records);
            }
        };

        // Held: nothing is written for it alone (its hold is an hour here)...
        // (Half a second to be written alone, had it not been held: a slow machine can only hide a regression, never fail this.)
        var outcome = log.AppendUnhurried(JsonObject.Of(("kind", "test"), ("n", 1L)));
        Assert.NotSame(outcome, await Task.WhenAny(outcome, Task.Delay(TimeSpan.FromMilliseconds(500))));

        // ...until a record someone waits for comes: both go in one write and one fsync, the unhurried one first.
        await log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", 2L)));
        Assert.True(outcome.IsCompletedSuccessfully);
        lock (commits)
        {
            Assert.Equal([2], commits);
        }

        var numbers = File.ReadAllLines(LogPath).Skip(1).Select(l => ((JsonInteger)CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(l))["n"]!).Value);
        Assert.Equal([1L, 2L], numbers);
    }

    [Fact]
    public void Held_unhurried_records_are_on_disk_after_a_clean_stop()
    {
        var log = AuditLog.Open(LogPath);
        log.UnhurriedHold = TimeSpan.FromHours(1);
        var outcome = log.AppendUnhurried(JsonObject.Of(("kind", "test"), ("n", 1L)));
        log.Dispose();
        Assert.True(outcome.IsCompletedSuccessfully);
        using var reopened = AuditLog.Open(LogPath);
        Assert.Equal(3, reopened.LastSeq);
    }

    [Fact]
    public async Task The_tail_shows_every_record_handed_over_before_it()
    {
        using var log = AuditLog.Open(LogPath);
        _ = log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", 1L)));
        var tail = await log.TailAsync(1);
        Assert.Equal(1L, ((JsonInteger)CanonicalJson.ParseObject(tail[0])["n"]!).Value);
    }

    /// <summary>
    /// The tail is read back from the end of the file a chunk at a time (here 7 bytes, so every record spans chunks): the
    /// last N records exactly as they are on disk, all of them when the log has fewer.
    /// </summary>
    [Fact]
    public async Task The_tail_read_back_from_the_end_is_the_files_last_records()
    {
        using var log = AuditLog.Open(LogPath);
        log.TailChunk = 7;
        for (var i = 0; i < 20; i++)
        {
            await log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", (long)i), ("pad", new string('x', i * 13))));
        }

        var onDisk = File.ReadAllLines(LogPath);
        Assert.Equal(21, onDisk.Length);
        foreach (var count in new[] { 1, 2, 5, 20, 21, 22, 10_000 })
        {
            var tail = await log.TailAsync(count);
            Assert.Equal(onDisk.TakeLast(count), tail.Select(l => System.Text.Encoding.UTF8.GetString(l)));
        }
    }

    /// <summary>
    /// A tail is at most so many bytes (64 MiB in the daemon: 10,000 batch intents are gigabytes): the last records that
    /// fit, and the last one always, however large.
    /// </summary>
    [Fact]
    public async Task A_tail_returns_the_last_records_that_fit_its_byte_budget_and_the_last_one_always()
    {
        using var log = AuditLog.Open(LogPath);
        log.TailChunk = 5;
        for (var i = 0; i < 10; i++)
        {
            await log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", (long)i)));
        }

        var onDisk = File.ReadAllLines(LogPath);
        log.TailBytes = onDisk.TakeLast(3).Sum(l => l.Length + 1);
        Assert.Equal(onDisk.TakeLast(3), (await log.TailAsync(10)).Select(l => System.Text.Encoding.UTF8.GetString(l)));
        log.TailBytes = onDisk.TakeLast(3).Sum(l => l.Length + 1) - 1;
        Assert.Equal(onDisk.TakeLast(2), (await log.TailAsync(10)).Select(l => System.Text.Encoding.UTF8.GetString(l)));
        log.TailBytes = 1;
        Assert.Equal(onDisk.TakeLast(1), (await log.TailAsync(10)).Select(l => System.Text.Encoding.UTF8.GetString(l)));
        log.TailBytes = long.MaxValue;
        Assert.Equal(onDisk, (await log.TailAsync(10_000)).Select(l => System.Text.Encoding.UTF8.GetString(l)));
    }

    /// <summary>
    /// Tails read one at a time (each may hold up to 64 MiB while it reads; the answers themselves are not bounded by this).
    /// While a first tail reads, a second one does not begin its read (given two seconds to, which it takes at once when
    /// tails are not one at a time); it reads once the first is done.
    /// </summary>
    [Fact]
    public async Task A_second_tail_waits_until_the_first_has_read()
    {
        using var log = AuditLog.Open(LogPath);
        using var held = await HeldTail.StartAsync(log);
        var second = Task.Run(() => log.TailAsync(2));
        Assert.False(held.LaterReading.Wait(TimeSpan.FromSeconds(2)), "a second tail read while the first was reading");
        held.Release();
        Assert.Equal(2, (await held.First).Count);
        Assert.Equal(2, (await second).Count);
        Assert.True(held.LaterReading.IsSet);
    }

    /// <summary>
    /// A tail whose caller gave up (a cancelled gRPC call) while another tail was reading leaves the queue at once and reads
    /// nothing: an admin's abandoned calls must not hold every later admin's tail back, each reading up to 64 MiB for no one.
    /// </summary>
    [Fact]
    public async Task A_tail_given_up_while_waiting_for_its_turn_ends_at_once_without_reading()
    {
        using var log = AuditLog.Open(LogPath);
        using var held = await HeldTail.StartAsync(log);
        using var givenUp = new CancellationTokenSource();
        var second = log.TailAsync(2, givenUp.Token);
        Assert.False(second.IsCompleted);
        await givenUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        held.Release();
        Assert.Equal(2, (await held.First).Count);
        Assert.Equal(1, held.Reads);
        Assert.Equal(2, (await log.TailAsync(2)).Count);
    }

    /// <summary>
    /// A tail waiting for its turn when the log closes (the daemon stops) ends with the log's "closed" error, and the tail
    /// that was reading ends too: neither waits for ever on the one-at-a-time gate (a disposed SemaphoreSlim never wakes
    /// its waiters, and throws at the reader's release).
    /// </summary>
    [Fact]
    public async Task Tails_waiting_when_the_log_closes_end_with_an_error_instead_of_waiting_for_ever()
    {
        var log = AuditLog.Open(LogPath);
        using var held = await HeldTail.StartAsync(log);
        var second = log.TailAsync(2);
        log.Dispose();
        held.Release();
        await Task.WhenAny(Task.WhenAll(held.First, second), Task.Delay(TimeSpan.FromSeconds(60))); // backstop only
        Assert.True(held.First.IsCompleted, "the tail that was reading never ended");
        Assert.True(second.IsCompleted, "a tail waiting for its turn when the log closed waits for ever");
        var closed = await Assert.ThrowsAsync<KeyCustody.Daemon.DaemonException>(() => second);
        Assert.Contains("closed", closed.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A first tail of a log with one record after its start record, held in its read (until <see cref="Release"/>) once it
    /// began it; the reads of later tails are counted and signalled, not held.
    /// </summary>
    private sealed class HeldTail : IDisposable
    {
        private readonly ManualResetEventSlim _firstReading = new();
        private readonly ManualResetEventSlim _firstMayEnd = new();
        private int _reads;

        private HeldTail(AuditLog log)
        {
            log.TailReading = () =>
            {
                if (Interlocked.Increment(ref _reads) == 1)
                {
                    _firstReading.Set();
                    _firstMayEnd.Wait(TimeSpan.FromSeconds(60));
                }
                else
                {
                    LaterReading.Set();
                }
            };
            First = Task.Run(() => log.TailAsync(2));
        }

        public Task<IReadOnlyList<byte[]>> First { get; }

        /// <summary>Set when a tail after the first reads.</summary>
        public ManualResetEventSlim LaterReading { get; } = new();

        /// <summary>How many tails have begun their read.</summary>
        public int Reads => Volatile.Read(ref _reads);

        public static async Task<HeldTail> StartAsync(AuditLog log)
        {
            await log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", 1L)));
            var held = new HeldTail(log);
            Assert.True(held._firstReading.Wait(TimeSpan.FromSeconds(60)), "the first tail never began its read");
            return held;
        }

        public void Release() => _firstMayEnd.Set();

        public void Dispose()
        {
            _firstMayEnd.Set();
            _firstReading.Dispose();
            _firstMayEnd.Dispose();
            LaterReading.Dispose();
        }
    }

    /// <summary>
    /// An operator's tail of a large log must not stop signing: it reads the file outside the log's lock, so a record handed
    /// over meanwhile is written at once (not after the read), and the tail ends where the log ended when it began.
    /// </summary>
    [Fact]
    public async Task Records_are_written_while_the_tail_reads_and_the_tail_ends_where_the_log_did()
    {
        using var log = AuditLog.Open(LogPath);
        await log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", 1L)));
        var appendedDuringRead = false;
        log.TailReading = () =>
        {
            var append = Task.Run(() => log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", 2L))));
            appendedDuringRead = append.Wait(TimeSpan.FromSeconds(30));
        };

        var tail = await log.TailAsync(5);
        Assert.True(appendedDuringRead, "a record handed over while the tail read was not written until the read ended");
        Assert.Equal(2, tail.Count);
        Assert.Equal(1L, ((JsonInteger)CanonicalJson.ParseObject(tail[^1])["n"]!).Value);
        Assert.Equal(3, log.LastSeq);
    }

    /// <summary>
    /// A write and its fsync block for as long as the disk takes: on a busy log (commits back to back) they run on the
    /// log's own thread, so no thread-pool worker waits in an fsync while requests wait for one. The clock here never
    /// moves, so every commit after the first finds the log busy. The writer thread ends with the log.
    /// </summary>
    [Fact]
    public async Task On_a_busy_log_writes_and_fsyncs_run_on_the_logs_own_thread_never_on_a_thread_pool_worker()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        var log = AuditLog.Open(LogPath, clock);
        var commits = new List<(bool Pool, int Thread)>();
        log.Committed = (_, _) =>
        {
            lock (commits)
            {
                commits.Add((Thread.CurrentThread.IsThreadPoolThread, Environment.CurrentManagedThreadId));
            }
        };
        await log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", 0L)));
        await Task.WhenAll(Enumerable.Range(1, 50).Select(i => Task.Run(() => log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", (long)i))))));
        await log.AppendUnhurried(JsonObject.Of(("kind", "test"), ("n", 51L)));
        log.Append(JsonObject.Of(("kind", "test"), ("n", 52L)));

        Assert.True(commits.Count >= 3, $"{commits.Count} commits");
        Assert.All(commits.Skip(1), c => Assert.False(c.Pool, "a commit on a busy log ran on a thread-pool worker"));
        Assert.Single(commits.Skip(1).Select(c => c.Thread).Distinct());
        Assert.True(log.WriterAlive);
        log.Dispose();
        Assert.False(log.WriterAlive, "the writer thread outlived its log");
        Assert.Equal(54, File.ReadAllLines(LogPath).Length);
    }

    /// <summary>
    /// A quiet log (idle for <see cref="AuditLog.QuietGap"/> since its last commit: a lone caller, a card's signatures tens
    /// of milliseconds apart) is written by the caller that finds it idle, on its own thread: no hand-over to the writer
    /// thread and back, each of which wakes a sleeping core.
    /// </summary>
    [Fact]
    public async Task On_a_quiet_log_the_caller_writes_its_own_record()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        using var log = AuditLog.Open(LogPath, clock);
        var commits = new List<(int Thread, int Caller)>();
        var caller = 0;
        log.Committed = (_, _) => commits.Add((Environment.CurrentManagedThreadId, Volatile.Read(ref caller)));
        for (var i = 0; i < 5; i++)
        {
            clock.Advance(AuditLog.QuietGap);
            await Task.Run(() =>
            {
                Volatile.Write(ref caller, Environment.CurrentManagedThreadId);
                return log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", (long)i)));
            });
        }

        Assert.Equal(5, commits.Count);
        Assert.All(commits, c => Assert.Equal(c.Caller, c.Thread));
    }

    [Fact]
    public async Task An_append_to_a_closed_log_fails_instead_of_waiting_forever()
    {
        var log = AuditLog.Open(LogPath);
        log.Dispose();
        var append = log.AppendAsync(JsonObject.Of(("kind", "test")));
        Assert.True(await Task.WhenAny(append, Task.Delay(TimeSpan.FromSeconds(30))) == append, "the append never finished");
        var e = await Assert.ThrowsAsync<DaemonException>(() => append);
        Assert.Equal(DaemonErrorKind.AuditUnavailable, e.Kind);
        Assert.Contains("closed", e.Message, StringComparison.Ordinal);

        // And every later append is refused at once.
        Assert.Equal(DaemonErrorKind.AuditUnavailable, (await Assert.ThrowsAsync<DaemonException>(() => log.AppendAsync(JsonObject.Of(("kind", "test"))))).Kind);
    }

    [Fact]
    public void A_torn_last_line_is_cut_and_noted_and_an_edited_record_refuses_to_open()
    {
        using (var log = AuditLog.Open(LogPath))
        {
            log.Append(JsonObject.Of(("kind", "intent"), ("request_id", "r-1")));
        }

        File.AppendAllText(LogPath, "{\"kind\":\"outco");
        using (var log = AuditLog.Open(LogPath))
        {
            Assert.Equal(4, log.LastSeq);
        }

        var records = File.ReadAllLines(LogPath).Select(l => CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(l))).ToList();
        Assert.Equal(14L, ((JsonInteger)records[2]["torn_bytes_removed"]!).Value);
        Assert.Equal("interrupted", records[3].GetString("outcome"));

        var lines = File.ReadAllLines(LogPath);
        lines[1] = lines[1].Replace("r-1", "r-2", StringComparison.Ordinal);
        File.WriteAllLines(LogPath, lines);
        var e = Assert.Throws<InvalidDataException>(() => AuditLog.Open(LogPath));
        Assert.Contains("broken at line 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_anchor_follows_each_commit_survives_a_torn_slot_and_may_lag_but_never_lead()
    {
        var anchorPath = Path.Combine(_dir, AuditAnchor.FileName);
        var anchoring = new AuditAnchoring(anchorPath, StateRemains: false, Accept: null, AcceptedBy: "test");
        AuditHead head;
        using (var log = AuditLog.Open(LogPath, anchoring: anchoring))
        {
            log.Append(JsonObject.Of(("kind", "test")));
            log.Append(JsonObject.Of(("kind", "test")));
            head = log.Head;
        }

        Assert.Equal(head, AuditAnchor.Read(anchorPath, out _));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(anchorPath));

        // A crash mid-write tears one slot: the other still holds the head before it, which the log continues.
        var bytes = File.ReadAllBytes(anchorPath);
        var newest = bytes.AsSpan(0, 128).IndexOf(System.Text.Encoding.ASCII.GetBytes(head.Hash)) >= 0 ? 0 : 1;
        bytes[(newest * 128) + 20] ^= 0x01;
        File.WriteAllBytes(anchorPath, bytes);
        Assert.Equal(head.Seq - 1, AuditAnchor.Read(anchorPath, out var unreadable)!.Seq);
        Assert.False(unreadable);
        using (var log = AuditLog.Open(LogPath, anchoring: anchoring))
        {
            Assert.Equal(head.Seq + 1, log.LastSeq);
        }

        // One record fewer than the anchor says: refused, naming the number that accepts it.
        var lines = File.ReadAllLines(LogPath);
        File.WriteAllLines(LogPath, lines[..^1]);
        var e = Assert.Throws<InvalidDataException>(() => AuditLog.Open(LogPath, anchoring: anchoring));
        Assert.Contains($"--accept-audit-gap {lines.Length}", e.Message, StringComparison.Ordinal);
    }
}
