using System.Collections.Concurrent;
using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// A fixed number of read-only sessions on one token, one per concurrent signer (PKCS#11: one session per
/// thread; login state is shared by all sessions of the application). A session that failed is closed and
/// replaced on the next rent.
/// </summary>
internal sealed class Pkcs11SessionPool : IDisposable
{
    private readonly Pkcs11Slot _slot;
    private readonly string _token;
    private readonly SemaphoreSlim _available;
    private readonly ConcurrentBag<Pkcs11Session> _idle = [];
    private readonly ConcurrentDictionary<Pkcs11Session, byte> _all = new();
    private bool _disposed;

    public Pkcs11SessionPool(Pkcs11Slot slot, int size, string token)
    {
        _slot = slot;
        _token = token;
        Size = size;
        _available = new SemaphoreSlim(size, size);
        for (int i = 0; i < size; i++)
        {
            _idle.Add(Open());
        }
    }

    public int Size { get; }

    public async ValueTask<Pkcs11Session> RentAsync(CancellationToken cancellation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            await _available.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(_token, "signature", e);
        }

        try
        {
            return _idle.TryTake(out var session) ? session : Open();
        }
        catch
        {
            _available.Release();
            throw;
        }
    }

    /// <summary>Gives the session back; a <paramref name="broken"/> one is closed instead.</summary>
    public void Return(Pkcs11Session session, bool broken)
    {
        if (broken || _disposed)
        {
            Close(session);
        }
        else
        {
            _idle.Add(session);
        }

        _available.Release();
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var session in _all.Keys)
        {
            Close(session);
        }

        _available.Dispose();
    }

    private Pkcs11Session Open()
    {
        try
        {
            var session = _slot.OpenSession(readWrite: false);
            _all[session] = 0;
            return session;
        }
        catch (Pkcs11CallException e)
        {
            throw Pkcs11Errors.ToError(e, _token, "C_OpenSession");
        }
    }

    private void Close(Pkcs11Session session)
    {
        if (!_all.TryRemove(session, out _))
        {
            return;
        }

        try
        {
            session.Dispose();
        }
        catch (Pkcs11CallException)
        {
            // The token is gone; the handle is dead either way.
        }
    }
}
