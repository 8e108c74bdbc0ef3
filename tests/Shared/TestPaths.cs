namespace KeyCustody.Tests.Shared;

/// <summary>Locations in the repository, found from the test binary.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KeyCustody.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (KeyCustody.sln) above " + AppContext.BaseDirectory);
    });

    public static string RepoRoot => Root.Value;

    public static string Vectors => Path.Combine(RepoRoot, "tests", "vectors");
}
