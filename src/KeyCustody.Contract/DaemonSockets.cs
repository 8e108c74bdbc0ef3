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
    /// runtime directory), else <c>$XDG_STATE_HOME/keycustody-simulator</c> or <c>~/.local/state/keycustody-simulator</c>.
    /// Never a shared directory like /tmp, where another user could put a socket there first.
    /// </summary>
    public static string SimulatorStateDirectory()
    {
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && Path.IsPathRooted(runtime))
        {
            return Path.Combine(runtime, "keycustody-simulator");
        }

        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } s && Path.IsPathRooted(s)
            ? s
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "keycustody-simulator");
    }

    /// <summary>The socket of <c>keycustodyd --simulator</c> run without <c>--state-dir</c> or <c>--socket</c>.</summary>
    public static string Simulator() => Path.Combine(SimulatorStateDirectory(), SocketFileName);
}
