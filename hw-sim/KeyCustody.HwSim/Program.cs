using System.CommandLine;
using KeyCustody.HwSim.Cli;

namespace KeyCustody.HwSim;

/// <summary>
/// keycustody-hwsim, with the keycustody CLI's conventions: a usage problem is one <c>error:</c> line on stderr and
/// exit 2; a control socket nobody answers on is exit 5 (see <see cref="ExitCodes"/>).
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("keycustody-hwsim: virtual YubiKey 5 (PIV, OpenPGP) and Nitrokey 3 (OpenPGP) cards for tests and demos\n\n" + ExitCodes.Help)
        {
            RunCommand.Build(),
            RootCertCommand.Build(),
        };
        foreach (var command in ControlCommands.Build())
        {
            root.Add(command);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return Fail(UsageError(parsed));
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return Fail(e.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("error: " + message.ReplaceLineEndings(" "));
        return ExitCodes.BadInput;
    }

    /// <summary>The wrong word, not System.CommandLine's whole help: "Required command was not provided" says too little.</summary>
    private static string UsageError(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var path = command is RootCommand ? "keycustody-hwsim" : "keycustody-hwsim " + command.Name;
        var commands = string.Join(", ", command.Subcommands.Select(c => c.Name));
        var stray = parsed.UnmatchedTokens.FirstOrDefault(t => !t.StartsWith('-'));
        if (command.Subcommands.Count > 0 && stray is not null)
        {
            return $"'{stray}' is not a command of {path}; its commands are {commands} ({path} --help)";
        }

        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            return $"{path} needs a command: {commands} ({path} --help)";
        }

        return $"{string.Join(' ', parsed.Errors[0].Message.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.')} ({path} --help)";
    }
}
