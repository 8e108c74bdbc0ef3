using System.CommandLine;

namespace KeyCustody.Cli;

/// <summary>
/// The one line a parse error becomes. System.CommandLine's first error for `keycustody foo` is "Required command was
/// not provided", which hides the real problem (foo is no command): say which word is wrong and what would be right.
/// </summary>
internal static class UsageErrors
{
    public static string Describe(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var path = Path(parsed.CommandResult);
        var commands = string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
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

    private static string Path(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is System.CommandLine.Parsing.CommandResult c)
            {
                names.Add(c.Command is RootCommand ? "keycustody" : c.Command.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
