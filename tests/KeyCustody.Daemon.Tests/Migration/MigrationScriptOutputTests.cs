using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>run.sh's homeserver and migration steps (examples/migration/run-migration.sh) print their headings bold on a terminal only.</summary>
public sealed class MigrationScriptOutputTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("keycustody-migration-out-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>Piped, the first heading (it comes before the demo daemon is asked anything; none listens here) has no escape codes.</summary>
    [Fact]
    public void Headings_in_a_pipe_carry_no_escape_codes()
    {
        var device = Path.Combine(_work, "device.json");
        File.WriteAllText(device, "{}");
        var (_, output) = ChildProcess.Run("bash", [Path.Combine(TestPaths.RepoRoot, "examples/migration/run-migration.sh"), Path.Combine(_work, "no.sock"), _work, device]);
        Assert.Contains("== keycustody-homeserver-sim at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
    }
}
