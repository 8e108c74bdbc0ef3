namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>How long and how hard a fault run goes. The CI run and the long run differ only in these.</summary>
internal sealed record FaultOptions
{
    /// <summary>Clients sign (and faults happen) for this long; setting up and checking come on top.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>Signers with every right, each on its own connection (besides the restricted, refused and operator clients).</summary>
    public int Signers { get; init; } = 6;

    /// <summary>Seed of every random choice (keys, fault order, gaps, cancellations): printed so a run can be replayed.</summary>
    public int Seed { get; init; } = Environment.TickCount & 0xFFFF;

    /// <summary>Share of signer calls cancelled after a random moment.</summary>
    public double CancelRate { get; init; } = 0.08;

    /// <summary>Share of signer calls whose connection is closed after a random moment.</summary>
    public double DisconnectRate { get; init; } = 0.04;

    /// <summary>Pause between two faults, drawn between these bounds.</summary>
    public TimeSpan MinGap { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxGap { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The last part of the run has no daemon kills, so one daemon process lives long enough under faults for its
    /// memory and descriptors to show a trend.
    /// </summary>
    public double QuietTailShare { get; init; } = 0.4;

    /// <summary>Signed documents per key kept for python-signedjson (every signature is checked in-process).</summary>
    public int PythonSamplePerKey { get; init; } = 60;

    /// <summary>Ceiling for the daemon's resident memory at any moment.</summary>
    public long MaxRssBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>Ceiling for the daemon's open file descriptors at any moment.</summary>
    public int MaxFds { get; init; } = 512;
}
