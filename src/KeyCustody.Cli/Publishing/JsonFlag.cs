using System.CommandLine;
using System.CommandLine.Parsing;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// Whether <c>--json</c> was given: the command's own option or the root's recursive one, found by name so the
/// publishing commands follow whichever the command line defines.
/// </summary>
internal static class JsonFlag
{
    public static bool Wanted(ParseResult r)
    {
        var own = true;
        for (var c = r.CommandResult; c is not null; c = c.Parent as CommandResult, own = false)
        {
            if (c.Command.Options.FirstOrDefault(o => o.Name == "--json" && (own || o.Recursive)) is Option<bool> json)
            {
                return r.GetValue(json);
            }
        }

        return false;
    }
}
