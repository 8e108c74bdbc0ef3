using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>What a newcomer needs for the README's migration steps: the management key setting and its default, and the example script's usage.</summary>
public sealed class MigrationDocsTests
{
    private const string FactoryManagementKey = "010203040506070801020304050607080102030405060708";

    /// <summary>The steps need each card's PIV management key: the README names the setting and the default the simulated cards (run-migration.sh's) use.</summary>
    [Fact]
    public void The_README_migration_section_names_managementKey_and_the_simulators_default()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var start = readme.IndexOf("## Moving an Element identity", StringComparison.Ordinal);
        Assert.True(start >= 0);
        var end = readme.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        var section = readme[start..end];
        Assert.Contains("\"managementKey\": {\"file\":", section, StringComparison.Ordinal);
        Assert.Contains(FactoryManagementKey, section, StringComparison.Ordinal);
        Assert.Contains("hw-sim/README.md", section, StringComparison.Ordinal);
        Assert.Contains($"secret mgm {FactoryManagementKey}", File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "examples/migration/run-migration.sh")), StringComparison.Ordinal);
    }

    /// <summary>Run by hand without its arguments, the script said "unbound variable".</summary>
    [Fact]
    public void The_migration_script_without_arguments_prints_its_usage()
    {
        var (exit, output) = ChildProcess.Run("bash", [Path.Combine(TestPaths.RepoRoot, "examples/migration/run-migration.sh")]);
        Assert.True(exit == 2, output);
        Assert.StartsWith("usage: ", output.TrimStart(), StringComparison.Ordinal);
        Assert.Contains("DEMO_SOCKET STATE_DIR SIGNED_DEVICE_JSON", output, StringComparison.Ordinal);
        Assert.DoesNotContain("unbound variable", output, StringComparison.Ordinal);
    }
}
