using KeyCustody.HwSim.Crypto;

namespace KeyCustody.HwSim.Tests.Card;

/// <summary>
/// The installation's root CA file is made once: programs starting together on a fresh account (keycustodyd
/// --simulator and keycustody-hwsim root-cert, pasted on one line) all end up with the same root, the one on disk. Before,
/// each wrote its own and the last writer won, so the cards' attestations chained to a root no one had any more.
/// </summary>
public sealed class SimulatorRootFileTests
{
    [Fact]
    public async Task Programs_creating_the_root_at_once_all_get_the_one_on_disk()
    {
        for (var round = 0; round < 10; round++)
        {
            var dir = Directory.CreateTempSubdirectory("hwsim-root-").FullName;
            try
            {
                var path = Path.Combine(dir, "keycustody-hwsim", "root-ca.json");
                using var start = new Barrier(6);
                var roots = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Factory.StartNew(
                    () =>
                    {
                        start.SignalAndWait();
                        using var root = SimulatorRoot.LoadOrCreate(path);
                        return root.Certificate.Thumbprint;
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default)));
                using var onDisk = SimulatorRoot.LoadOrCreate(path);
                Assert.All(roots, r => Assert.Equal(onDisk.Certificate.Thumbprint, r));
                Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
