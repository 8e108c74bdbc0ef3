using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Tokens;

/// <summary>
/// The handle of one configured token: opened on first use, dropped when the device or its middleware went away so
/// the next use opens it again (yubikey-agent's ensureYK, in one place). The old handle is closed in the background:
/// other requests or the health probe may still be inside it, and closing waits for them (a signature waiting for a
/// touch would otherwise hold up every other use).
/// </summary>
internal sealed class LiveToken(Func<ISigningToken> open) : IDisposable
{
    private readonly Lock _lock = new();
    private ISigningToken? _token;

    /// <summary>Raised after a handle was dropped (the device is gone or was reset).</summary>
    public event Action? Lost;

    /// <summary>The open handle, if any (nothing is opened).</summary>
    public ISigningToken? Current
    {
        get
        {
            lock (_lock)
            {
                return _token;
            }
        }
    }

    /// <summary>
    /// Errors after which the handle is no use and the token must be opened again: the device went away, or its
    /// middleware did (a restarted pcscd leaves the old PC/SC context dead for good: SCARD_E_NO_SERVICE forever). A
    /// signature that does not verify is the key's problem, not the handle's: the key is read again instead.
    /// </summary>
    public static bool MeansLost(TokenException e) => e.MeansDeviceLost;

    /// <summary>Runs <paramref name="work"/> on the open handle (opening it if needed); a lost handle is dropped.</summary>
    public async Task<T> UseAsync<T>(Func<ISigningToken, Task<T>> work)
    {
        var token = Open();
        try
        {
            return await work(token).ConfigureAwait(false);
        }
        catch (TokenException e) when (MeansLost(e))
        {
            Drop(token);
            throw;
        }
    }

    /// <summary>The same for work that does not wait (status, a key's public part).</summary>
    public T Use<T>(Func<ISigningToken, T> work)
    {
        ISigningToken? token = null;
        try
        {
            token = Open();
            return work(token);
        }
        catch (TokenException e) when (token is not null && MeansLost(e))
        {
            Drop(token);
            throw;
        }
    }

    /// <summary>Drops <paramref name="failed"/> if it is still the handle, so the next use opens the token again.</summary>
    public void Drop(ISigningToken failed)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(_token, failed))
            {
                return;
            }

            _token = null;
        }

        Lost?.Invoke();
        _ = Task.Run(() =>
        {
            try
            {
                failed.Dispose();
            }
            catch (Exception e) when (e is TokenException or ObjectDisposedException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // A handle that fails to close is abandoned either way; the new one does not depend on it.
            }
        });
    }

    private ISigningToken Open()
    {
        lock (_lock)
        {
            return _token ??= open();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _token?.Dispose();
            _token = null;
        }
    }
}
