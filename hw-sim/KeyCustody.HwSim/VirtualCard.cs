using System.Diagnostics;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.State;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim;

/// <summary>
/// A virtual YubiKey 5.7 (or 5.4.3, or Nitrokey 3: <see cref="CardOptions.Profile"/>) with its PIV, OpenPGP and management
/// applets, button, faults and (optionally) a state file. Commands are
/// served one at a time: while one waits for a touch, every other caller waits too, as with the real card.
/// Connect with <see cref="Connect"/> and send APDUs through <see cref="CardConnection.Transmit"/>.
/// </summary>
public sealed class VirtualCard : IDisposable
{
    private readonly object _commandGate = new();
    private readonly object _stateGate = new();
    private readonly CardState _state;
    private readonly CardApplets _applet;
    private readonly string? _statePath;
    private CancellationTokenSource _removal = new();
    private bool _present = true;
    private bool _powered;
    private long _epoch;
    private long _removals;

    private VirtualCard(CardState state, CardOptions options)
    {
        _state = state;
        _statePath = options.StatePath;
        Button = new Button(options.Touch, options.AutoTouchDelay, options.TouchTimeout);
        Timing = options.Timing;
        TouchCacheWindow = options.TouchCacheWindow;
        _applet = new CardApplets(state, Button, options.Time, options.TouchCacheWindow);
    }

    /// <summary>How long a touch stays cached (<see cref="CardOptions.TouchCacheWindow"/>).</summary>
    public TimeSpan TouchCacheWindow { get; }

    /// <summary>Raised after the card is unplugged or plugged in (on the thread that did it).</summary>
    public event EventHandler? PresenceChanged;

    /// <summary>The YubiKey 5 (USB) ATR: T=1, historical bytes "YubiKey".</summary>
    public static ReadOnlySpan<byte> YubiKey5Atr =>
    [
        0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0,
        0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40,
    ];

    public uint Serial => _state.Identity.Serial;

    /// <summary>Which device this card is (a state file keeps its own).</summary>
    public CardProfile Profile => _state.Profile;

    /// <summary>The profile's ATR (<see cref="YubiKey5Atr"/> for the YubiKeys).</summary>
    public byte[] Atr => [.. _state.Profile.Atr];
    public Button Button { get; }
    public CardFaults Faults { get; } = new();

    /// <summary>How long each command takes at least (<see cref="CardTiming.None"/>: as fast as the simulator runs).</summary>
    public CardTiming Timing { get; set; }

    /// <summary>When the card was busy with a command, for benchmarks that separate its time from their own.</summary>
    public CardActivity Activity { get; } = new();

    /// <summary>The command APDUs this card received (for tests and the <c>apdus</c> control command).</summary>
    public ApduCounter Apdus { get; } = new();

    public bool IsPresent
    {
        get { lock (_stateGate) { return _present; } }
    }

    public bool IsPowered
    {
        get { lock (_stateGate) { return _powered; } }
    }

    internal CardState State => _state;

    /// <summary>Creates a new card, or loads the one kept in <see cref="CardOptions.StatePath"/>.</summary>
    public static VirtualCard Create(CardOptions options)
    {
        CardState state;
        if (options.StatePath is { } path && File.Exists(path))
        {
            state = StateFile.Load(path);
            if (options.Serial is { } serial && serial != state.Identity.Serial)
            {
                state.Dispose();
                throw new InvalidOperationException($"state file {path} holds card {state.Identity.Serial}, not {serial}");
            }

            if (options.Profile is { } profile && profile != state.Profile)
            {
                state.Dispose();
                throw new InvalidOperationException($"state file {path} holds a {state.Profile.Name} card, not a {profile.Name}");
            }

            OpenPgp.OpenPgpFactory.CompleteOlderState(state, options);
            if (state.Dirty)
            {
                StateFile.Save(path, state);
            }
        }
        else
        {
            state = FactoryState.Create(options);
            if (options.StatePath is not null)
            {
                StateFile.Save(options.StatePath, state);
            }
        }

        state.Dirty = false;
        return new VirtualCard(state, options);
    }

    /// <summary>Like SCardConnect: powers the card if needed and returns a connection valid until removal or reset.</summary>
    public CardConnection Connect()
    {
        lock (_stateGate)
        {
            if (!_present)
            {
                throw new CardRemovedException("no card in the reader");
            }

            // Already powered: join the current session without waiting for a command in progress.
            if (_powered)
            {
                return new CardConnection(this, _epoch, _removals);
            }
        }

        lock (_commandGate)
        {
            lock (_stateGate)
            {
                if (!_present)
                {
                    throw new CardRemovedException("no card in the reader");
                }
            }

            if (!IsPowered)
            {
                PowerOnLocked();
            }

            lock (_stateGate)
            {
                return new CardConnection(this, _epoch, _removals);
            }
        }
    }

    /// <summary>Pulls the card out. A command in progress (e.g. waiting for a touch) is abandoned unanswered.</summary>
    public void Unplug()
    {
        lock (_stateGate)
        {
            if (!_present)
            {
                return;
            }

            _present = false;
            _powered = false;
            _epoch++;
            _removals++;
            _removal.Cancel();
        }

        PresenceChanged?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>Puts the card back; it starts unpowered with a fresh session.</summary>
    public void Plug()
    {
        lock (_stateGate)
        {
            if (_present)
            {
                return;
            }

            // The old token source is not disposed: an abandoned command may still be unwinding on it.
            _removal = new CancellationTokenSource();
            _present = true;
        }

        PresenceChanged?.Invoke(this, EventArgs.Empty);
    }

    public CardStatus Status() => new(
        Serial,
        IsPresent,
        IsPowered,
        Button.Mode,
        Button.IsWaiting,
        _state.Pin.Remaining,
        _state.Puk.Remaining,
        _state.ManagementKey.Algorithm,
        _state.Profile.Name,
        _state.OpenPgp.UserPin.Remaining,
        _state.OpenPgp.AdminPin.Remaining,
        _state.OpenPgp.SignatureCounter);

    /// <summary>Blocks until the card is present; false if cancelled first.</summary>
    public bool WaitForPresence(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            if (IsPresent)
            {
                return true;
            }

            cancellation.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(50));
        }

        return false;
    }

    /// <summary>Power on (cold reset): fresh session; returns the ATR.</summary>
    internal byte[] PowerOn()
    {
        lock (_commandGate)
        {
            PowerOnLocked();
        }

        return Atr;
    }

    internal void PowerOff()
    {
        lock (_commandGate)
        {
            _applet.ResetSession();
            lock (_stateGate)
            {
                _powered = false;
                _epoch++;
            }
        }
    }

    /// <summary>Warm reset: like power on, the session is forgotten.</summary>
    internal void WarmReset() => PowerOn();

    /// <summary>One APDU for a connection made at <paramref name="epoch"/>.</summary>
    internal byte[] Transmit(ReadOnlySpan<byte> command, long epoch, long removals)
    {
        lock (_commandGate)
        {
            lock (_stateGate)
            {
                if (!_present || removals != _removals)
                {
                    throw new CardRemovedException();
                }

                if (epoch != _epoch)
                {
                    throw new CardResetException();
                }
            }

            return TransmitLocked(command);
        }
    }

    /// <summary>One APDU as the reader delivers it (vpcd): powers the card if the reader did not.</summary>
    internal byte[] TransmitRaw(ReadOnlySpan<byte> command)
    {
        lock (_commandGate)
        {
            lock (_stateGate)
            {
                if (!_present)
                {
                    throw new CardRemovedException();
                }
            }

            if (!IsPowered)
            {
                PowerOnLocked();
            }

            return TransmitLocked(command);
        }
    }

    public void Dispose()
    {
        lock (_commandGate)
        {
            _state.Dispose();
            Button.Dispose();
            _removal.Dispose();
        }
    }

    private void PowerOnLocked()
    {
        _applet.ResetSession();
        lock (_stateGate)
        {
            _powered = true;
            _epoch++;
        }
    }

    /// <summary>
    /// One command, then the rest of the time a YubiKey would take (<see cref="Timing"/>), so the card is busy as
    /// long as the real one; <see cref="Activity"/> records the interval.
    /// </summary>
    private byte[] TransmitLocked(ReadOnlySpan<byte> command)
    {
        CancellationToken removal;
        lock (_stateGate)
        {
            removal = _removal.Token;
        }

        Apdus.Count(command);
        long started = Stopwatch.GetTimestamp();
        try
        {
            var response = ExecuteLocked(command, removal);
            var target = Timing.For(command, key => _state.OpenPgp.Slot(key).Key?.Algorithm);

            // A wait is whole milliseconds (truncated): round up, and wait again until the time has really passed.
            for (var remaining = target - Stopwatch.GetElapsedTime(started); remaining > TimeSpan.Zero; remaining = target - Stopwatch.GetElapsedTime(started))
            {
                if (removal.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Ceiling(remaining.TotalMilliseconds))))
                {
                    throw new CardRemovedException("the card was removed during the command");
                }
            }

            return response;
        }
        finally
        {
            Activity.Record(started, Stopwatch.GetTimestamp());
        }
    }

    private byte[] ExecuteLocked(ReadOnlySpan<byte> command, CancellationToken removal)
    {
        var fault = Faults.TakeRemoval(command.Length > 1 ? command[1] : (byte)0);
        if (fault == RemovalPoint.BeforeExecution)
        {
            Unplug();
            throw new CardRemovedException("the card was removed during the command");
        }

        byte[] response;
        try
        {
            response = _applet.Process(command, removal);
        }
        catch (OperationCanceledException e) when (removal.IsCancellationRequested)
        {
            throw new CardRemovedException("the card was removed during the command", e);
        }
        finally
        {
            Persist();
        }

        if (fault == RemovalPoint.AfterExecution)
        {
            Unplug();
            throw new CardRemovedException("the card was removed during the command");
        }

        var latency = Faults.Latency;
        if (latency > TimeSpan.Zero && removal.WaitHandle.WaitOne(latency))
        {
            throw new CardRemovedException("the card was removed during the command");
        }

        return response;
    }

    private void Persist()
    {
        if (_state.Dirty && _statePath is not null)
        {
            StateFile.Save(_statePath, _state);
        }

        _state.Dirty = false;
    }
}
