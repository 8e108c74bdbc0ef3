using KeyCustody.Contract;
using KeyCustody.Daemon.Configuration;

namespace KeyCustody.Daemon.Hosting;

/// <summary>What keycustodyd was asked to do: run (the default), check the configuration, or print help or the version.</summary>
public enum DaemonAction
{
    Run,
    CheckConfig,
    Help,
    Version,
}

/// <summary>keycustodyd's command line, parsed; <see cref="Help"/> is the text <c>--help</c> prints.</summary>
public sealed record DaemonCommandLine(
    DaemonAction Action,
    string? ConfigFile,
    bool Simulator,
    bool DemoKeys,
    string? StateDirectory,
    string? Socket,
    IReadOnlyList<string> Overrides)
{
    /// <summary>--accept-audit-gap N: go on once with an audit log that does not continue its anchor, as a refused start named it.</summary>
    public long? AcceptAuditGap { get; init; }

    /// <summary>The prefix of environment variables that override settings (KEYCUSTODYD_listen__socketMode=0640).</summary>
    public const string EnvironmentPrefix = "KEYCUSTODYD_";

    public static string Help => $"""
        keycustodyd: keeps Matrix cross-signing keys on hardware tokens and signs for authorised callers.

        Usage:
          keycustodyd --config FILE [--state-dir DIR] [--socket PATH] [--accept-audit-gap N] [--section:setting=value ...]
          keycustodyd --simulator [--no-demo-keys] [--state-dir DIR] [--socket PATH] [--accept-audit-gap N]
                      [--section:setting=value ...]
          keycustodyd --check-config (--config FILE | --simulator [--no-demo-keys]) [--state-dir DIR] [--socket PATH]
                      [--accept-audit-gap N] [--section:setting=value ...]
          keycustodyd -h | -? | --help | --version
        An option's value may also follow '=' (--config=FILE); a setting's always does.

        Options:
          --config FILE        the configuration file (JSON, // comments allowed; systemd/keycustodyd.json.example).
                               It must not be writable by the group or others, nor readable by others.
          --simulator          the embedded demo: two simulated YubiKeys 5.7 in this process, automatic touch,
                               every right for the user running it. Software keys: never for real keys.
          --no-demo-keys       with --simulator: leave the simulated cards blank (for `keycustody provision`)
                               instead of generating demo keys for @demo:localhost at first start.
          --state-dir DIR      the state directory (stateDirectory). With --simulator everything of the demo
                               lives there (cards, root CA, audit log, socket); without it the demo uses
                               {DaemonSockets.FindSimulatorStateDirectory(out _) ?? "(here: none, as HOME does not exist; give --state-dir)"}
                               (where `keycustody` looks) and hw-sim's root CA (what `keycustody-hwsim root-cert` prints).
          --socket PATH        the Unix socket to listen on (listen.unixSocket).
          --section:setting=value
                               any setting of the configuration file, e.g. --listen:socketMode=0640 or
                               --keys:1:presence=operator (list entries by their index, from 0).
          --accept-audit-gap N go on with an audit log that does not continue what came before (cut at its end,
                               replaced, deleted while keys stay pinned), once, with the number the refused start
                               named; the acceptance is the first record of the log, and the option is refused when
                               there is nothing to accept.
          --check-config       check everything and exit without serving: the settings, the files' permissions,
                               the secret sources (readable, not empty), the audit log's chain, and that every
                               token is reachable. Prints what it checked; exit 0 if all is well, 2 if not.
          -h, -?, --help       this help.
          --version            the version.

        Environment:
          {EnvironmentPrefix}section__setting=value
                               overrides a setting of the file (e.g. {EnvironmentPrefix}listen__socketMode=0640); the
                               command line wins over both. KEYCUSTODY_* variables belong to the keycustody CLI
                               (KEYCUSTODY_SOCKET) and are not read; the old daemon spelling KEYCUSTODY_section__setting
                               is refused with its new name.
          CREDENTIALS_DIRECTORY
                               set by systemd (LoadCredential=): where "credential" secret sources are read.

        Exit codes:
          0  stopped cleanly (SIGTERM, SIGINT); --check-config: every check passed
          1  failed while running (the log says why)
          2  refused to start: configuration, permissions, secrets, audit log, socket in use;
             --check-config: a problem was found (each printed as 'error: ...')
        """;

    /// <summary>Parses <paramref name="args"/>; a word that is not understood is a <see cref="ConfigException"/>.</summary>
    public static DaemonCommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Any(a => a is "-h" or "--help" or "-?"))
        {
            return new DaemonCommandLine(DaemonAction.Help, null, false, true, null, null, []);
        }

        var action = DaemonAction.Run;
        string? file = null, stateDir = null, socket = null;
        bool simulator = false, noDemoKeys = false;
        long? acceptAuditGap = null;
        var overrides = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inline) = Split(args[i]);
            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ConfigException([$"command line: {name} needs a value (keycustodyd --help)"]);
                }

                return args[++i];
            }

            switch (name)
            {
                case "--version":
                    return new DaemonCommandLine(DaemonAction.Version, null, false, true, null, null, []);
                case "--check-config":
                    action = DaemonAction.CheckConfig;
                    break;
                case "--config":
                    file = Value();
                    break;
                case "--simulator":
                    simulator = true;
                    break;
                case "--no-demo-keys":
                    noDemoKeys = true;
                    break;
                case "--state-dir":
                    stateDir = Value();
                    break;
                case "--socket":
                    socket = Value();
                    break;
                case "--accept-audit-gap":
                    var gap = Value();
                    acceptAuditGap = long.TryParse(gap, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seq)
                        ? seq
                        : throw new ConfigException([$"command line: --accept-audit-gap takes the number a refused start named, not '{gap}'"]);
                    break;
                default:
                    if (!name.StartsWith("--", StringComparison.Ordinal) || (!name.Contains(':', StringComparison.Ordinal) && inline is null))
                    {
                        throw new ConfigException([$"command line: '{args[i]}' is not understood (keycustodyd --help lists the options)"]);
                    }

                    if (inline is null)
                    {
                        throw new ConfigException([$"command line: '{args[i]}' needs a value: {args[i]}=VALUE"]);
                    }

                    overrides.Add(args[i]);
                    break;
            }
        }

        if (file is null && !simulator)
        {
            throw new ConfigException(["command line: give --config FILE, or --simulator for the embedded demo on simulated YubiKeys (keycustodyd --help)"]);
        }

        if (noDemoKeys && !simulator)
        {
            throw new ConfigException(["command line: --no-demo-keys goes with --simulator (a configuration file says demoKeys per token)"]);
        }

        return new DaemonCommandLine(action, file, simulator, !noDemoKeys, stateDir, socket, overrides) { AcceptAuditGap = acceptAuditGap };
    }

    /// <summary>"--name=value" → ("--name", "value"); "--name" → ("--name", null).</summary>
    private static (string Name, string? Value) Split(string arg)
    {
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
    }
}
