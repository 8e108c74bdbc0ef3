using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Cli.Tests;

/// <summary>
/// Every command reaches the daemon through <c>DaemonSocket.Connect</c>, which refuses the per-user simulator socket when
/// someone else's daemon serves it (SO_PEERCRED; the behaviour is tested against a real daemon in the daemon tests'
/// SimulatorDefaultsTests). `keycustody migrate`, which hands the user's existing private keys to the daemon, and `keys
/// accept`/`reject` once connected without it; `migrate` needs a homeserver and secret storage before it connects, so
/// this source check is what keeps a new command from doing the same.
/// </summary>
public sealed class SocketTrustTests
{
    [Fact]
    public void No_command_connects_to_a_daemon_socket_without_the_owner_check()
    {
        var cli = Path.Combine(TestPaths.RepoRoot, "src", "KeyCustody.Cli");
        var direct = Directory.EnumerateFiles(cli, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(f) != "DaemonSocket.cs")
            .Where(f => File.ReadAllText(f).Contains("KeyCustodyClient.ConnectUnix(", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(cli, f))
            .ToList();
        Assert.True(direct.Count == 0, "these connect with KeyCustodyClient.ConnectUnix instead of DaemonSocket.Connect: " + string.Join(", ", direct));
    }
}
