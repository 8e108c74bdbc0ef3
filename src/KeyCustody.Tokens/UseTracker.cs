namespace KeyCustody.Tokens;

/// <summary>
/// Counts the operations running on a token handle so that closing it waits until none is inside the middleware:
/// closing PKCS#11 sessions or unloading the module under a running C_Sign can crash the process. After
/// <see cref="CloseAndDrain"/> begins, new operations are refused with <see cref="TokenRemovedException"/>.
/// </summary>
internal sealed class UseTracker(string token)
{
    private readonly object _gate = new();
    private int _inUse;
    private bool _closed;

    /// <summary>Marks one operation as running until the returned lease is disposed.</summary>
    public Lease Enter(string operation)
    {
        lock (_gate)
        {
            if (_closed)
            {
                throw TokenErrors.Closed(token, operation);
            }

            _inUse++;
        }

        return new Lease(this);
    }

    /// <summary>Refuses new operations, then waits until the running ones ended. True the first time only.</summary>
    public bool CloseAndDrain()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _closed = true;
            while (_inUse > 0)
            {
                Monitor.Wait(_gate);
            }

            return true;
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            if (--_inUse == 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    public readonly struct Lease(UseTracker tracker) : IDisposable
    {
        public void Dispose() => tracker.Exit();
    }
}
