namespace KeyCustody.Daemon.Scheduling;

/// <summary>
/// The door to one token: at most <c>concurrency</c> operations at once (1 for a PIV card, the session
/// pool for PKCS#11), first come first served, at most <c>maxWaiting</c> waiting (more are refused at
/// once), each waiter told its position as it changes. A waiter whose caller cancels or whose deadline
/// passes leaves the queue and the token is never asked for it.
/// </summary>
public sealed class TokenQueue(string token, int concurrency, int maxWaiting)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiting = new();
    private int _running;

    public string Token { get; } = token;

    public int Concurrency { get; } = concurrency;

    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>
    /// Waits for a turn. <paramref name="onPosition"/> hears the number of operations ahead (0 = next)
    /// whenever it changes. Dispose the result to leave the token to the next waiter.
    /// </summary>
    public async Task<IDisposable> EnterAsync(Func<int, Task> onPosition, CancellationToken cancellation)
    {
        Waiter waiter;
        int position;
        lock (_lock)
        {
            if (_running < Concurrency && _waiting.Count == 0)
            {
                _running++;
                return new Turn(this);
            }

            if (_waiting.Count >= maxWaiting)
            {
                throw DaemonErrors.QueueFull(Token, maxWaiting);
            }

            waiter = new Waiter();
            _waiting.AddLast(waiter);
            position = _waiting.Count - 1 + _running;
        }

        try
        {
            await onPosition(position).ConfigureAwait(false);
            using var registration = cancellation.Register(() => Abandon(waiter));
            while (true)
            {
                await Task.WhenAny(waiter.Changed.Task, waiter.Admitted.Task).ConfigureAwait(false);
                cancellation.ThrowIfCancellationRequested();
                int now;
                lock (_lock)
                {
                    if (waiter.Admitted.Task.IsCompleted)
                    {
                        break;
                    }

                    // Checked under the lock that Abandon takes: a waiter abandoned after the check above has left
                    // the queue, and nobody will wake it again, so it must not wait on a new Changed.
                    var index = IndexOf(waiter);
                    if (index < 0)
                    {
                        throw new OperationCanceledException(cancellation);
                    }

                    waiter.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    now = index + _running;
                }

                await onPosition(now).ConfigureAwait(false);
            }

            cancellation.ThrowIfCancellationRequested();
        }
        catch
        {
            // Cancelled, or the position could not be told: leave the queue, or, when the turn came at the same
            // moment, give it straight back. Otherwise the turn would be lost and the token wait forever.
            LeaveOrGiveBack(waiter);
            throw;
        }

        return new Turn(this);
    }

    private void LeaveOrGiveBack(Waiter waiter)
    {
        bool admitted;
        lock (_lock)
        {
            if (_waiting.Remove(waiter))
            {
                NotifyAll();
                admitted = false;
            }
            else
            {
                // Not waiting any more: either abandoned already, or admitted (Release sets Admitted under this lock).
                admitted = waiter.Admitted.Task.IsCompleted;
            }
        }

        waiter.Changed.TrySetResult();
        if (admitted)
        {
            Release();
        }
    }

    private int IndexOf(Waiter waiter)
    {
        var i = 0;
        for (var node = _waiting.First; node is not null; node = node.Next, i++)
        {
            if (node.Value == waiter)
            {
                return i;
            }
        }

        return -1;
    }

    private void Abandon(Waiter waiter)
    {
        lock (_lock)
        {
            if (!_waiting.Remove(waiter))
            {
                return;
            }

            NotifyAll();
            waiter.Changed.TrySetResult();
        }
    }

    private void Release()
    {
        lock (_lock)
        {
            if (_waiting.First is { } next)
            {
                _waiting.RemoveFirst();
                next.Value.Admitted.TrySetResult();
                NotifyAll();
            }
            else
            {
                _running--;
            }
        }
    }

    private void NotifyAll()
    {
        foreach (var w in _waiting)
        {
            w.Changed.TrySetResult();
        }
    }

    private sealed class Waiter
    {
        public TaskCompletionSource Admitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Turn(TokenQueue queue) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                queue.Release();
            }
        }
    }
}
