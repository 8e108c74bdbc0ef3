using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Bench;

/// <summary>
/// Which SoftHSM2 module the benchmark's SoftHSM2 token uses: the system's (<see cref="SoftHsmTokens.Module"/>), or
/// another build of it named by <see cref="Variable"/>, e.g. one with a fix, to compare the daemon with either. The
/// token is made through the same module (softhsm2-util --module) and the daemon's configuration names it.
/// </summary>
internal static class SoftHsmModule
{
    public const string Variable = "KEYCUSTODY_BENCH_SOFTHSM_MODULE";

    /// <summary>The module's path: the variable's value if set and not empty, else the system's module.</summary>
    public static string Path => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } module ? module : SoftHsmTokens.Module;

    /// <summary>For the report's machine line: the Debian package's version, or the other module's path.</summary>
    public static string Describe(string systemVersion) =>
        Path == SoftHsmTokens.Module ? $"softhsm2 {systemVersion}" : $"SoftHSM2 module {Path} (from {Variable}; the softhsm2 package is {systemVersion})";
}
