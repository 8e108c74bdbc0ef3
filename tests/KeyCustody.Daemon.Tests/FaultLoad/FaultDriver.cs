namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>The faults the driver injects (clients cancelling and disconnecting are counted by the clients).</summary>
internal enum FaultKind
{
    CardRemoved,
    CardRemovedMidCommand,
    TouchTimeout,
    PcscdRestart,
    HsmVanished,
    HsmReplaced,
    DaemonKilled,
}

/// <summary>One injected fault: what, on what, from when until everything was put back.</summary>
internal sealed record FaultEvent(FaultKind Kind, string Target, DateTime Started, DateTime Ended);

/// <summary>
/// Injects one fault at a time, in random order (each kind once per round, so a short run still sees all of
/// them), after a random pause, and puts things back before the next: a card pulled (now, or during its next
/// command) and re-inserted; a card nobody touches for a while (short touch timeout); pcscd killed and started
/// again; the SoftHSM2 token gone and back; the token replaced by another one with the same label holding other
/// keys under the same labels, then the original back; keycustodyd killed with SIGKILL and started again.
/// </summary>
internal sealed class FaultDriver(FaultRig rig, FaultOptions options)
{
    private readonly List<FaultEvent> _events = [];

    public IReadOnlyList<FaultEvent> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToList();
            }
        }
    }

    /// <summary>
    /// Faults until <paramref name="until"/>, and beyond it until every kind has happened once (a slow machine fits
    /// fewer faults into the time). Kills only before <paramref name="killsUntil"/>; if none has come by half of
    /// that window, the kill is dealt next.
    /// </summary>
    public async Task RunAsync(DateTime until, DateTime killsUntil, Action<string> log)
    {
        var random = new Random(options.Seed);
        var deck = new List<FaultKind>();
        var seen = new HashSet<FaultKind>();
        var start = DateTime.UtcNow;
        var killBy = start + ((killsUntil - start) / 2);
        while (true)
        {
            var gap = options.MinGap + ((options.MaxGap - options.MinGap) * random.NextDouble());
            if (DateTime.UtcNow + gap >= until && seen.Count == Enum.GetValues<FaultKind>().Length)
            {
                return;
            }

            await Task.Delay(gap);
            if (deck.Count == 0)
            {
                deck.AddRange(Enum.GetValues<FaultKind>().OrderBy(_ => random.Next()));
            }

            var now = DateTime.UtcNow;
            var kind = !seen.Contains(FaultKind.DaemonKilled) && now >= killBy && deck.Contains(FaultKind.DaemonKilled) ? FaultKind.DaemonKilled : deck[0];
            deck.Remove(kind);
            if (kind == FaultKind.DaemonKilled && now >= killsUntil)
            {
                kind = seen.Contains(FaultKind.DaemonKilled) ? FaultKind.CardRemoved : FaultKind.DaemonKilled;
            }

            seen.Add(kind);
            var started = DateTime.UtcNow;
            var target = await InjectAsync(kind, random);
            var ended = DateTime.UtcNow;
            lock (_events)
            {
                _events.Add(new FaultEvent(kind, target, started, ended));
            }

            log($"{started:HH:mm:ss.f} {kind} {target} ({(ended - started).TotalSeconds:0.0} s)");
        }
    }

    private async Task<string> InjectAsync(FaultKind kind, Random random)
    {
        var serial = rig.Cards.Serials[random.Next(rig.Cards.Serials.Count)];
        var hold = TimeSpan.FromMilliseconds(random.Next(300, 2500));
        switch (kind)
        {
            case FaultKind.CardRemoved:
                rig.Cards.Unplug(serial);
                await Task.Delay(hold);
                rig.Cards.Plug(serial);
                return $"card {serial}";

            case FaultKind.CardRemovedMidCommand:
                rig.Cards.UnplugDuringNextCommand(serial);
                await Task.Delay(hold);
                rig.Cards.Plug(serial);
                return $"card {serial}";

            case FaultKind.TouchTimeout:
                rig.Cards.NeverTouch(serial, timeoutMs: 800);
                await Task.Delay(hold + TimeSpan.FromSeconds(1.5));
                rig.Cards.AutoTouch(serial);
                return $"card {serial}";

            case FaultKind.PcscdRestart:
                await Task.Run(rig.Pcscd.Restart);
                return "pcscd";

            case FaultKind.HsmVanished:
                rig.Hsm.Park();
                await Task.Delay(hold);
                rig.Hsm.Unpark();
                return "softhsm2";

            case FaultKind.HsmReplaced:
                rig.Hsm.Park();
                await Task.Run(() => rig.Hsm.CreateImpostor(FaultRig.Keys.Where(k => k.Token == "hsm").Select(k => k.KeyId)));
                await Task.Delay(hold + TimeSpan.FromSeconds(1.5));
                rig.Hsm.RemoveImpostor();
                rig.Hsm.Unpark();
                return "softhsm2";

            default:
                rig.Daemon.Kill();
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 1000)));
                await rig.Daemon.StartAsync();
                return "keycustodyd";
        }
    }
}
