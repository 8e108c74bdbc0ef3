namespace KeyCustody.Tokens;

/// <summary>
/// One operation at a time on a card token, and none once it is closed: the gate the PIV and OpenPGP tokens share.
/// Closing is safe while other threads still hold the token (the daemon opens a token again after a device error while
/// its health probe or a signer may be using the old handle): their operations, running or waiting, end with
/// <see cref="TokenRemovedException"/>. The semaphore is never disposed for that reason (it allocates no wait handle, so
/// there is nothing to free).
/// </summary>
#pragma warning disable CA1001 // The semaphore is never disposed on purpose (see above).
internal sealed class TokenGate
#pragma warning restore CA1001
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _closed;

    /// <summary>Waits for the token; <paramref name="token"/> and <paramref name="operation"/> name it in the errors.</summary>
    public async Task EnterAsync(string token, string operation, CancellationToken cancellation)
    {
        try
        {
            await _gate.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(token, operation, e);
        }

        ThrowIfClosed(token, operation);
    }

    /// <summary><see cref="EnterAsync"/> for the synchronous operations.</summary>
    public void Enter(string token, string operation, CancellationToken cancellation)
    {
        try
        {
            _gate.Wait(cancellation);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(token, operation, e);
        }

        ThrowIfClosed(token, operation);
    }

    public void Release() => _gate.Release();

    /// <summary>Runs <paramref name="close"/> once no operation holds the token, the first time only.</summary>
    public void Close(Action close)
    {
        _gate.Wait();
        try
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            close();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Caller holds the gate; releases it and throws if the token was closed meanwhile.</summary>
    private void ThrowIfClosed(string token, string operation)
    {
        if (_closed)
        {
            _gate.Release();
            throw TokenErrors.Closed(token, operation);
        }
    }
}
