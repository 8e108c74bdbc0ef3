using KeyCustody.Daemon.Audit;
using KeyCustody.Matrix.Json;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The audit log's close against a caller still writing its record inline (a request that outlived the server's stop, a
/// disk that held a write past the stop's drain): one writer at a time, to the end. Two at once share the line buffer,
/// so one's lines can overwrite the other's in the middle of its write (an intent reported durable whose bytes on disk
/// are someone else's record), and the caller that loses its batch to the other is told nothing or the wrong thing.
/// </summary>
public sealed class AuditLogCloseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audit-log-close-").FullName;

    private string LogPath => Path.Combine(_dir, "audit.jsonl");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Closing_never_starts_a_second_writer_beside_a_caller_that_is_writing()
    {
        var clock = new SealingClock();
        var log = AuditLog.Open(LogPath, clock);
        log.StopDrain = TimeSpan.FromMilliseconds(100);
        log.StopJoin = TimeSpan.FromMilliseconds(200);

        // A lone caller on a quiet log writes its own record; it is held in the middle of its write (sealing its record).
        clock.HoldNextSeal();
        var first = Task.Run(() => log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", 1L))));
        Assert.True(clock.Held.Wait(TimeSpan.FromSeconds(30)), "the first caller never wrote");

        // Another record waits behind it (queued here, at once: no thread to wait for); the log closes meanwhile (its drain
        // gives up on the held write).
        var second = log.AppendAsync(JsonObject.Of(("kind", "test"), ("n", 2L)));
        var close = Task.Run(log.Dispose);

        // Either a second writer starts sealing while the first still writes (the defect), or the close ends without one.
        await Task.WhenAny(clock.SecondWriter.Task, close).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(clock.SecondWriter.Task.IsCompleted, "a second writer sealed records while the first caller was still writing its batch");

        clock.Release();
        foreach (var append in new[] { first, second })
        {
            var e = await Assert.ThrowsAsync<DaemonException>(() => append.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(DaemonErrorKind.AuditUnavailable, e.Kind);
        }

        await close.WaitAsync(TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (log.WriterAlive && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.False(log.WriterAlive, "the writer thread outlived its log");
        Assert.Equal(DaemonErrorKind.AuditUnavailable, (await Assert.ThrowsAsync<DaemonException>(() => log.AppendAsync(JsonObject.Of(("kind", "test"))))).Kind);
    }

    /// <summary>
    /// A clock for which every moment is long after the last (so every caller finds the log quiet and writes inline), and
    /// whose wall time, asked once for each record sealed, can hold one writer there and see whether another seals meanwhile.
    /// </summary>
    private sealed class SealingClock : TimeProvider
    {
        private readonly ManualResetEventSlim _gate = new(true);
        private long _now;
        private int _holdNext;
        private int _heldThread;

        public ManualResetEventSlim Held { get; } = new(false);

        public TaskCompletionSource SecondWriter { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void HoldNextSeal()
        {
            _gate.Reset();
            Volatile.Write(ref _holdNext, 1);
        }

        public void Release() => _gate.Set();

        public override long TimestampFrequency => 1_000;

        public override long GetTimestamp() => Interlocked.Add(ref _now, 1_000);

        public override DateTimeOffset GetUtcNow()
        {
            if (Interlocked.Exchange(ref _holdNext, 0) == 1)
            {
                Volatile.Write(ref _heldThread, Environment.CurrentManagedThreadId);
                Held.Set();
                _gate.Wait();
            }
            else if (!_gate.IsSet && Volatile.Read(ref _heldThread) != Environment.CurrentManagedThreadId)
            {
                SecondWriter.TrySetResult();
            }

            return new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        }
    }
}
