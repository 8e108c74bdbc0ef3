using System.CommandLine;
using Grpc.Core;
using KeyCustody.Cli;

// keycustody: the operator's and developer's command line. Every failure is one 'error:' line on
// stderr with exit code 2 (bad input) or 1 (a "no" answer); see ExitCodes.
var root = new RootCommand("keycustody: Matrix cross-signing keys on hardware tokens\n\n" + ExitCodes.Help);
var json = new Option<bool>("--json") { Description = "machine-readable output (canonical JSON) for scripts", Recursive = true };
root.Options.Add(json);
root.Subcommands.Add(JsonCommands.Build(json));
root.Subcommands.Add(DevCommands.Build(json));
root.Subcommands.Add(TrustCommands.Build(json));
var socket = DaemonCommands.SocketOption();
root.Options.Add(socket);
foreach (var command in DaemonCommands.Build(socket, json))
{
    root.Subcommands.Add(command);
}

root.Subcommands.Add(KeyCustody.Cli.Provisioning.ProvisionCommand.Build(socket, json));
root.Subcommands.Add(KeyCustody.Cli.Publishing.PublishCommand.Build(socket));
root.Subcommands.Add(KeyCustody.Cli.Migration.MigrateCommand.Build(socket));

// Matrix user IDs start with '@': never read them as response files.
var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (parsed.Errors.Count > 0)
{
    Console.Error.WriteLine("error: " + UsageErrors.Describe(parsed));
    return ExitCodes.BadInput;
}

try
{
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (RpcException e)
{
    Progress.Stop();
    Console.Error.WriteLine("error: " + KeyCustody.Matrix.DisplayText.Escape((e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is HttpRequestException unreachable
        ? Unreachable(unreachable, DaemonSocket.Chosen(parsed, socket))
        : e.Status.Detail).ReplaceLineEndings(" ")));
    return ExitCodes.From(e);
}
catch (KeyCustody.Contract.Attestation.AttestationMismatchException e)
{
    Console.Error.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
    return ExitCodes.Refused;
}
catch (Exception e) when (e is FormatException or UsageException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
    return ExitCodes.BadInput;
}

// The socket's mode (octal) when neither its group nor others may connect: then it is another user's, whatever the groups.
static string? OwnerOnlyMode(string? path)
{
    if (path is null || !OperatingSystem.IsLinux() || !File.Exists(path))
    {
        return null;
    }

    var mode = File.GetUnixFileMode(path);
    return (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0 ? Convert.ToString((int)mode, 8) : null;
}

// Why the daemon could not be reached, from the socket error underneath: a permission problem is not "is it running?".
static string Unreachable(HttpRequestException e, string? socketPath)
{
    Exception? inner = e;
    while (inner is not null and not System.Net.Sockets.SocketException)
    {
        inner = inner.InnerException;
    }

    var where = socketPath is null ? "its socket" : socketPath;
    // Which choice to question: the variable when it named this socket (no --socket given, or the same path), else --socket.
    var fromVariable = socketPath is not null && Environment.GetEnvironmentVariable(DaemonSocket.Variable) == socketPath;
    var chooser = fromVariable ? "$" + DaemonSocket.Variable : "--socket";
    if (socketPath is not null && !File.Exists(socketPath) && socketPath == DaemonSocket.Default())
    {
        // Nothing given and nothing found: say everywhere keycustody looked, not only the last place.
        return fromVariable
            ? $"cannot reach keycustodyd: there is no socket where keycustody looks ({DaemonSocket.Tried()}); --socket PATH chooses another daemon"
            : $"cannot reach keycustodyd: there is no socket where keycustody looks ({DaemonSocket.Tried()}); is it running? `keycustodyd --simulator` starts the demo where keycustody finds it; --socket PATH chooses another daemon";
    }

    return (inner as System.Net.Sockets.SocketException)?.SocketErrorCode switch
    {
        System.Net.Sockets.SocketError.AccessDenied when OwnerOnlyMode(socketPath) is { } mode =>
            $"cannot reach keycustodyd: permission denied on {where}: the socket is open to its owner only (mode {mode}), so it is another user's keycustodyd; run your own (keycustodyd --simulator) or give --socket PATH",
        System.Net.Sockets.SocketError.AccessDenied => $"cannot reach keycustodyd: permission denied on {where} (the socket is for its group's members: ask to be added, then log in again)",
        System.Net.Sockets.SocketError.AddressNotAvailable or System.Net.Sockets.SocketError.ConnectionRefused when socketPath == KeyCustody.Contract.DaemonSockets.System =>
            $"cannot reach keycustodyd at {where} (is it running? `keycustodyd --simulator` starts the demo where keycustody finds it; --socket PATH chooses another daemon)",
        System.Net.Sockets.SocketError.AddressNotAvailable or System.Net.Sockets.SocketError.ConnectionRefused =>
            $"cannot reach keycustodyd at {where} (is it running, and is {chooser} right?)",
        { } code => $"cannot reach keycustodyd at {where} ({code}: {inner!.Message}; is it running, and is {chooser} right?)",
        null => "cannot reach keycustodyd (is it running, and is --socket right?)",
    };
}
