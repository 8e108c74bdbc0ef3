using System.Diagnostics;

namespace KeyCustody.HwSim;

/// <summary>A span of time the card spent on one command, in <see cref="Stopwatch"/> timestamps.</summary>
public readonly record struct BusyInterval(long Start, long End)
{
    public TimeSpan Duration => Stopwatch.GetElapsedTime(Start, End);
}

/// <summary>
/// The card's busy intervals while <see cref="Recording"/> is on (off by default: nothing is kept). A benchmark that
/// hosts the card reads them to tell the card's own time from the time spent around it.
/// </summary>
public sealed class CardActivity
{
    private readonly object _gate = new();
    private List<BusyInterval> _intervals = [];
    private volatile bool _recording;

    public bool Recording
    {
        get => _recording;
        set => _recording = value;
    }

    /// <summary>The intervals recorded since the last call, oldest first; recording goes on.</summary>
    public IReadOnlyList<BusyInterval> Take()
    {
        lock (_gate)
        {
            var taken = _intervals;
            _intervals = [];
            return taken;
        }
    }

    internal void Record(long start, long end)
    {
        if (!_recording)
        {
            return;
        }

        lock (_gate)
        {
            _intervals.Add(new BusyInterval(start, end));
        }
    }
}
