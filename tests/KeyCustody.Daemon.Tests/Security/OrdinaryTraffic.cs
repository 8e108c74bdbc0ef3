using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// Well-behaved callers signing with the "server" key on their own connections while a test attacks the daemon:
/// they count their signatures and keep every failure, so a test can show the attack did not hurt them.
/// </summary>
internal sealed class OrdinaryTraffic : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _failures = [];
    private readonly Task _running;
    private int _signed;

    private OrdinaryTraffic(DaemonProcess daemon, int clients)
    {
        _running = Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => RunAsync(daemon, c))));
    }

    public int Signed => Volatile.Read(ref _signed);

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return _failures.ToList();
            }
        }
    }

    public static OrdinaryTraffic Start(DaemonProcess daemon, int clients = 2) => new(daemon, clients);

    /// <summary>Waits until <paramref name="count"/> signatures arrived in all (bounded: a stall fails the test instead of hanging it).</summary>
    public async Task WaitForSignaturesAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (Signed < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"ordinary callers got {Signed} signatures, waited for {count}; failures: {string.Join(" | ", Failures)}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
    }

    private async Task RunAsync(DaemonProcess daemon, int client)
    {
        using var connection = daemon.Client();
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            var (events, error) = await Collect(connection.Custody.SignJson(SignRequest("server", JsonObject.Of(("client", client), ("n", n))), deadline: DateTime.UtcNow.AddSeconds(60)));
            if (error is null && events[^1].EventCase == SignEvent.EventOneofCase.Signed)
            {
                Interlocked.Increment(ref _signed);
            }
            else
            {
                lock (_failures)
                {
                    _failures.Add(error is null ? "no SIGNED event" : $"{error.StatusCode}: {error.Status.Detail}");
                }
            }

            await Task.Delay(20);
        }
    }
}
