using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Daemon.Tokens;
using KeyCustody.HwSim.Crypto;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The health round's probe of a token, on a clock the test moves, counted in the simulated card's commands: a token
/// that just finished an operation is present without a probe (a probe is a transaction on the card, which the
/// callers' next operation would wait for), read again all the same every BusyRefresh, and probed every round when idle.
/// </summary>
public sealed class HealthProbeTests
{
    [Fact]
    public async Task A_working_token_is_probed_every_busy_refresh_and_an_idle_one_every_round()
    {
        var clock = new ManualClock();
        using var root = SimulatorRoot.CreateEphemeral();
        using var host = TokenHost.Create(Settings(), new LimitsConfig(), root, clock);
        var card = host.SimulatedCard!;

        Assert.NotNull(Probe(host).Status);
        var afterFirst = card.Apdus.Total;
        Assert.True(afterFirst > 0, "the first round reads the card");

        // Working: an operation finished just now, so the next rounds take the token as present without a command.
        for (var round = 1; round < 10; round++)
        {
            await Work(host);
            var before = card.Apdus.Total;
            clock.Advance(HealthMonitor.Interval * 0.9);
            Assert.NotNull(Probe(host).Status);
            Assert.Equal(before, card.Apdus.Total);
        }

        // Still working, but BusyRefresh has passed since the last probe: read again (PIN retries stay fresh).
        clock.Advance(HealthMonitor.BusyRefresh);
        await Work(host);
        var beforeRefresh = card.Apdus.Total;
        Assert.NotNull(Probe(host).Status);
        Assert.True(card.Apdus.Total > beforeRefresh, "a busy token is still probed every BusyRefresh");

        // Idle: no operation within the round's interval, so every round reads the card.
        for (var round = 0; round < 3; round++)
        {
            clock.Advance(HealthMonitor.Interval * 1.1);
            var before = card.Apdus.Total;
            Assert.NotNull(Probe(host).Status);
            Assert.True(card.Apdus.Total > before, "an idle token is probed every round");
        }

        // A card that went away while idle is found gone at the next round.
        card.Unplug();
        clock.Advance(HealthMonitor.Interval * 1.1);
        Assert.Null(Probe(host).Status);
    }

    [Fact]
    public async Task A_card_pulled_while_working_is_found_gone_once_its_operations_fail()
    {
        var clock = new ManualClock();
        using var root = SimulatorRoot.CreateEphemeral();
        using var host = TokenHost.Create(Settings(), new LimitsConfig(), root, clock);
        Assert.NotNull(Probe(host).Status);
        await Work(host);
        host.SimulatedCard!.Unplug();

        // The operation that finds the card gone does not count as work: the next round probes and says so.
        await Assert.ThrowsAnyAsync<Exception>(() => Work(host));
        clock.Advance(HealthMonitor.Interval * 0.5);
        Assert.Null(Probe(host).Status);
    }

    private static (KeyCustody.Tokens.TokenStatus? Status, string? Error) Probe(TokenHost host) =>
        host.Probe(HealthMonitor.Interval, HealthMonitor.BusyRefresh);

    private static Task<int> Work(TokenHost host) =>
        host.UseAsync(token => Task.FromResult(token.ListKeys().Count), null, CancellationToken.None);

    private static TokenSettings Settings() =>
        new("t", TokenKind.Simulator, 47_000_002, null, null, null, 1, null, null, null, "auto", 0, 15_000, false, null);

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
