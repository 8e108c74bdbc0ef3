namespace KeyCustody.HwSim;

/// <summary>When an armed removal fault pulls the card, relative to executing the command.</summary>
public enum RemovalPoint
{
    /// <summary>The command never reaches the applet.</summary>
    BeforeExecution,

    /// <summary>The command runs (its effects stay) but the answer is lost.</summary>
    AfterExecution,
}

/// <summary>Injected faults: added latency per APDU and a one-shot removal in the middle of a command.</summary>
public sealed class CardFaults
{
    private readonly object _gate = new();
    private (byte? Ins, RemovalPoint Point)? _removal;
    private TimeSpan _latency;

    public TimeSpan Latency
    {
        get { lock (_gate) { return _latency; } }
        set { lock (_gate) { _latency = value; } }
    }

    /// <summary>Arms a removal on the next command (or the next with instruction <paramref name="ins"/>).</summary>
    public void RemoveDuringNextCommand(byte? ins = null, RemovalPoint point = RemovalPoint.AfterExecution)
    {
        lock (_gate)
        {
            _removal = (ins, point);
        }
    }

    public bool IsRemovalArmed
    {
        get { lock (_gate) { return _removal is not null; } }
    }

    internal RemovalPoint? TakeRemoval(byte ins)
    {
        lock (_gate)
        {
            if (_removal is { } armed && (armed.Ins is null || armed.Ins == ins))
            {
                _removal = null;
                return armed.Point;
            }

            return null;
        }
    }
}
