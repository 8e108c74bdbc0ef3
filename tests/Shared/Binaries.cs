using System.Diagnostics;

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

    /// <summary>
    /// keycustodyd as it ships: the native executable scripts/build-native.sh compiles ahead of time (./test.sh runs it
    /// after building the solution). Refused when it is older than the build's keycustodyd.dll: the tests would run a
    /// daemon without the latest change.
    /// </summary>
    public static string Daemon
    {
        get
        {
            var native = Path.Combine(TestPaths.RepoRoot, "src/KeyCustody.Daemon", "bin", Configuration, "native", "keycustodyd");
            var dll = Output("src/KeyCustody.Daemon", "keycustodyd.dll");
            if (!File.Exists(native))
            {
                throw new InvalidOperationException($"{native} is missing: scripts/build-native.sh {Configuration} compiles it (./test.sh does)");
            }

            return File.GetLastWriteTimeUtc(native) >= File.GetLastWriteTimeUtc(dll)
                ? native
                : throw new InvalidOperationException($"{native} is older than {dll}: scripts/build-native.sh {Configuration} compiles it again (./test.sh does)");
        }
    }

    /// <summary>The program and leading arguments that run keycustodyd: the native executable, alone.</summary>
    public static (string Program, string[] Arguments) DaemonCommand => (Daemon, []);

    /// <summary>keycustodyd with these arguments, its output redirected (the caller reads or drains it).</summary>
    public static ProcessStartInfo DaemonStart(params IEnumerable<string> arguments)
    {
        var (program, leading) = DaemonCommand;
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in leading.Concat(arguments))
        {
            start.ArgumentList.Add(a);
        }

        return start;
    }

    public static string HwSim => Output("hw-sim/KeyCustody.HwSim", "keycustody-hwsim.dll");

    private static string Output(string project, string file)
    {
        var path = Path.Combine(TestPaths.RepoRoot, project, "bin", Configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build the solution first (./test.sh does)");
    }
}
