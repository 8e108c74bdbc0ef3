using KeyCustody.Daemon.Scheduling;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The per-token queue under cancellation. A waiter cancelled at the moment its turn came used to throw without
/// giving the turn back: the token then waited forever and every later request for it ran into its deadline
/// (found by the fault-and-load run: a client cancelling mid-call left a card's queue stuck for minutes). A waiter
/// cancelled just after it was woken (somebody ahead left) used to wait for a wake-up that never came: its caller's
/// handler hung for good (found as a CI run that never finished).
/// </summary>
public sealed class TokenQueueTests
{
    private static readonly Func<int, Task> Quiet = _ => Task.CompletedTask;

    [Fact]
    public async Task A_waiter_cancelled_as_its_turn_comes_gives_the_turn_back()
    {
        var queue = new TokenQueue("card", concurrency: 1, maxWaiting: 8);
        for (var i = 0; i < 300; i++)
        {
            var holder = await queue.EnterAsync(Quiet, CancellationToken.None);
            using var cancel = new CancellationTokenSource();
            var waiting = queue.EnterAsync(Quiet, cancel.Token);

            // The turn passes to the waiter, and the waiter's caller cancels before its continuation runs.
            holder.Dispose();
            await cancel.CancelAsync();
            try
            {
                (await waiting).Dispose();
            }
            catch (OperationCanceledException)
            {
                // Either outcome is fine for the waiter; the token must be free afterwards.
            }

            var next = queue.EnterAsync(Quiet, CancellationToken.None);
            var done = await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.True(done == next, $"round {i}: the turn was lost; the token would wait forever");
            (await next).Dispose();
        }
    }

    [Fact]
    public async Task A_position_callback_that_throws_leaves_the_queue()
    {
        var queue = new TokenQueue("card", concurrency: 1, maxWaiting: 8);
        var holder = await queue.EnterAsync(Quiet, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.EnterAsync(_ => throw new InvalidOperationException("the caller's stream is gone"), CancellationToken.None));
        Assert.Equal(0, queue.Waiting);
        holder.Dispose();
        var next = queue.EnterAsync(Quiet, CancellationToken.None);
        Assert.True(next.IsCompletedSuccessfully, "the failed waiter kept a place or a turn");
        (await next).Dispose();
    }

    [Fact]
    public async Task Under_random_cancellations_every_turn_is_given_back()
    {
        var queue = new TokenQueue("hsm", concurrency: 2, maxWaiting: 1000);
        var random = new Random(7);
        var running = 0;
        var maxRunning = 0;
        var callers = Enumerable.Range(0, 400).Select(i =>
        {
            var cancelAfter = random.Next(0, 4) == 0 ? random.Next(0, 5) : -1;
            var work = random.Next(0, 3);
            return Task.Run(async () =>
            {
                using var cancel = new CancellationTokenSource();
                if (cancelAfter >= 0)
                {
                    cancel.CancelAfter(cancelAfter);
                }

                try
                {
                    using var turn = await queue.EnterAsync(async _ => await Task.Yield(), cancel.Token);
                    var now = Interlocked.Increment(ref running);
                    InterlockedMax(ref maxRunning, now);
                    await Task.Delay(work);
                    Interlocked.Decrement(ref running);
                }
                catch (OperationCanceledException)
                {
                }
            });
        }).ToArray();
        var all = Task.WhenAll(callers);
        Assert.True(await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))) == all, $"{callers.Count(c => !c.IsCompleted)} callers never returned");
        await all;

        Assert.True(maxRunning <= 2, $"{maxRunning} ran at once on a token of concurrency 2");
        Assert.Equal(0, queue.Waiting);
        var first = queue.EnterAsync(Quiet, CancellationToken.None);
        var second = queue.EnterAsync(Quiet, CancellationToken.None);
        Assert.True(first.IsCompletedSuccessfully && second.IsCompletedSuccessfully, "a turn was lost: both slots must be free");
        (await first).Dispose();
        (await second).Dispose();
    }

    [Fact]
    public async Task A_waiter_cancelled_while_it_is_told_its_new_position_still_returns()
    {
        // Waiters are woken whenever somebody ahead leaves; one whose caller cancels just as it was woken must still
        // return (cancelled), not wait for a wake-up that never comes because it is no longer in the queue.
        for (var round = 0; round < 200; round++)
        {
            var queue = new TokenQueue("card", concurrency: 1, maxWaiting: 1000);
            var holder = await queue.EnterAsync(Quiet, CancellationToken.None);
            var random = new Random(round);
            var cancels = Enumerable.Range(0, 200).Select(_ => new CancellationTokenSource()).ToArray();
            var waiters = cancels.Select(c => Task.Run(async () =>
            {
                try
                {
                    (await queue.EnterAsync(async _ => await Task.Yield(), c.Token)).Dispose();
                }
                catch (OperationCanceledException)
                {
                }
            })).ToArray();
            while (queue.Waiting < cancels.Length)
            {
                await Task.Delay(1);
            }

            // Every cancellation wakes all the others (their position changed) while more cancellations arrive.
            await Task.WhenAll(cancels.OrderBy(_ => random.Next()).Select(c => Task.Run(c.Cancel)));
            var all = Task.WhenAll(waiters);
            var done = await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.True(done == all, $"round {round}: {waiters.Count(w => !w.IsCompleted)} cancelled waiters never returned");
            Assert.Equal(0, queue.Waiting);
            holder.Dispose();
            var next = queue.EnterAsync(Quiet, CancellationToken.None);
            Assert.True(next.IsCompletedSuccessfully, $"round {round}: the token is not free");
            (await next).Dispose();
            foreach (var c in cancels)
            {
                c.Dispose();
            }
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
