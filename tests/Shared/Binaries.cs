namespace KeyCustody.Tests.Shared;

/// <summary>
/// The product's own build outputs (same configuration as the tests), run from where they were built so
/// each program uses exactly its own dependencies.
/// </summary>
internal static class Binaries
{
    /// <summary>"Debug" or "Release", read off this test binary's path (…/bin/&lt;configuration&gt;/net10.0/).</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;

    public static string Cli => Output("src/KeyCustody.Cli", "keycustody.dll");

    public static string Daemon => Output("src/KeyCustody.Daemon", "keycustodyd.dll");

    public static string HwSim => Output("hw-sim/KeyCustody.HwSim", "keycustody-hwsim.dll");

    private static string Output(string project, string file)
    {
        var path = Path.Combine(TestPaths.RepoRoot, project, "bin", Configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build the solution first (./test.sh does)");
    }
}
