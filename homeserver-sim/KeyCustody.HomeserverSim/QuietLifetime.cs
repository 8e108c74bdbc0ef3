namespace KeyCustody.HomeserverSim;

/// <summary>
/// The simulator's host takes no signals (the default console lifetime would catch Ctrl+C and SIGTERM for the whole
/// process, the test host's included): whoever starts it stops it. The program stops it on its own signal handling.
/// </summary>
internal sealed class QuietLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
