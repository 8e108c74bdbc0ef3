namespace KeyCustody.Contract;

/// <summary>
/// Where keycustodyd listens unless told otherwise, so the daemon and the CLI meet without flags: the system daemon's
/// socket, and the per-user socket of <c>keycustodyd --simulator</c>, which the CLI tries when no system daemon is
/// installed. Both sides compute the simulator's place here, so they cannot drift apart.
/// </summary>
public static class DaemonSockets
{
    /// <summary>The system daemon (systemd's RuntimeDirectory=keycustody).</summary>
    public const string System = "/run/keycustody/keycustodyd.sock";

    public const string SocketFileName = "keycustodyd.sock";

    /// <summary>
    /// The embedded simulator's state directory: <c>$XDG_RUNTIME_DIR/keycustody-simulator</c> (the user's own 0700
    /// runtime directory), else <c>$XDG_STATE_HOME/keycustody-simulator</c> or <c>$HOME/.local/state/keycustody-simulator</c>;
    /// null when none of these has an absolute base that exists (<paramref name="problem"/> says what was found). Never a
    /// shared directory like /tmp, where another user could put a socket there first, and never one relative to the
    /// working directory: a user without a home (HOME=/nonexistent, as nobody's) would otherwise get ./.local/state.
    /// </summary>
    public static string? FindSimulatorStateDirectory(out string problem)
    {
        problem = string.Empty;
        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        if (runtime is { Length: > 0 } && Path.IsPathRooted(runtime) && Directory.Exists(runtime))
        {
            return Path.Combine(runtime, "keycustody-simulator");
        }

        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        var home = Environment.GetEnvironmentVariable("HOME");
        var (variable, bases) = state is { Length: > 0 } ? ("XDG_STATE_HOME", state) : ("HOME", home is { Length: > 0 } ? Path.Combine(home, ".local", "state") : null);
        var root = variable == "HOME" ? home : state;
        if (root is { Length: > 0 } && Path.IsPathRooted(root) && Directory.Exists(root))
        {
            return Path.Combine(bases!, "keycustody-simulator");
        }

        problem = $"there is no private place for the simulator's state: XDG_RUNTIME_DIR is {Described(runtime)}, and {variable} is {Described(root)}";
        return null;
    }

    /// <summary>The simulator's default state directory; <see cref="InvalidOperationException"/> when there is none (see <see cref="FindSimulatorStateDirectory"/>).</summary>
    public static string SimulatorStateDirectory() => FindSimulatorStateDirectory(out var problem) ?? throw new InvalidOperationException(problem);

    /// <summary>The socket of <c>keycustodyd --simulator</c> run without <c>--state-dir</c> or <c>--socket</c>, or null when it has no place (<see cref="FindSimulatorStateDirectory"/>).</summary>
    public static string? Simulator() => FindSimulatorStateDirectory(out _) is { } state ? Path.Combine(state, SocketFileName) : null;

    private static string Described(string? value) => value switch
    {
        null or "" => "not set",
        _ when !Path.IsPathRooted(value) => $"'{value}', not an absolute path",
        _ => $"{value}, which does not exist",
    };
}
