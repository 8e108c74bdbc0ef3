namespace KeyCustody.HwSim.Touch;

/// <summary>
/// The card's touch sensor. A command that needs a touch blocks in <see cref="WaitForTouch"/> while the card
/// answers nothing else; the wait ends with a touch, the timeout, or removal of the card.
/// </summary>
public sealed class Button : IDisposable
{
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _pressed = new(false);
    private readonly ManualResetEventSlim _waiting = new(false);
    private TouchMode _mode;
    private TimeSpan _autoDelay;
    private TimeSpan _timeout;

    public Button(TouchMode mode, TimeSpan autoDelay, TimeSpan timeout)
    {
        _mode = mode;
        _autoDelay = autoDelay;
        _timeout = timeout;
    }

    /// <summary>The YubiKey gives up after about 15 seconds.</summary>
    public static TimeSpan DefaultTimeout => TimeSpan.FromSeconds(15);

    public TouchMode Mode
    {
        get { lock (_gate) { return _mode; } }
    }

    public TimeSpan AutoDelay
    {
        get { lock (_gate) { return _autoDelay; } }
    }

    public TimeSpan Timeout
    {
        get { lock (_gate) { return _timeout; } }
    }

    /// <summary>True while a command is blocked waiting for a touch (the LED would blink).</summary>
    public bool IsWaiting => _waiting.IsSet;

    /// <summary>How many times the card has asked for a touch since it was created.</summary>
    public int Requests { get; private set; }

    public void Configure(TouchMode mode, TimeSpan? autoDelay = null, TimeSpan? timeout = null)
    {
        lock (_gate)
        {
            _mode = mode;
            _autoDelay = autoDelay ?? _autoDelay;
            _timeout = timeout ?? _timeout;
        }
    }

    /// <summary>Presses the button. Returns true if a command was waiting for it; a press nobody waits for is lost.</summary>
    public bool Touch()
    {
        lock (_gate)
        {
            if (!_waiting.IsSet)
            {
                return false;
            }

            _pressed.Set();
            return true;
        }
    }

    /// <summary>Test helper: blocks until a command waits for a touch, or the timeout passes.</summary>
    public bool WaitUntilWaiting(TimeSpan timeout) => _waiting.Wait(timeout);

    /// <summary>Blocks until touched (true), timed out (false); throws <see cref="OperationCanceledException"/> on removal.</summary>
    internal bool WaitForTouch(CancellationToken removal)
    {
        TouchMode mode;
        TimeSpan wait;
        lock (_gate)
        {
            mode = _mode;
            wait = mode == TouchMode.Auto ? _autoDelay : _timeout;
            _pressed.Reset();
            _waiting.Set();
            Requests++;
        }

        try
        {
            bool pressed = _pressed.Wait(wait, removal);
            return pressed || mode == TouchMode.Auto;
        }
        finally
        {
            lock (_gate)
            {
                _waiting.Reset();
                _pressed.Reset();
            }
        }
    }

    public void Dispose()
    {
        _pressed.Dispose();
        _waiting.Dispose();
    }
}
