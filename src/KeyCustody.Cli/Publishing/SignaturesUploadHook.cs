using System.CommandLine;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// <c>--upload</c> for <c>keycustody cross-sign device|user</c>: after the daemon signs, the
/// <c>/keys/signatures/upload</c> body goes to the homeserver instead of standard output. The homeserver
/// options are checked, and the token read, before the daemon is asked, so nobody touches a key for nothing.
/// </summary>
internal sealed class SignaturesUploadHook
{
    private readonly Option<bool> _upload = new("--upload") { Description = "POST the result to the homeserver's /keys/signatures/upload and report each signed object (needs --homeserver and --access-token-file)" };
    private readonly HomeserverOptions _homeserver = new();

    /// <summary>Adds --upload and the homeserver options to <paramref name="command"/>; --json is the command line's own.</summary>
    public static SignaturesUploadHook AddTo(Command command)
    {
        var hook = new SignaturesUploadHook();
        command.Options.Add(hook._upload);
        hook._homeserver.AddTo(command);
        return hook;
    }

    /// <summary>The homeserver to upload to, or null without --upload; call before asking the daemon.</summary>
    public Homeserver? Open(ParseResult r)
    {
        if (!r.GetValue(_upload))
        {
            return _homeserver.AnyGiven(r) ? throw new UsageException("--homeserver and --access-token-file go with --upload") : null;
        }

        return _homeserver.Open(r);
    }

    /// <summary>Prints the body (no --upload) or uploads it and reports; returns the exit code.</summary>
    public async Task<int> FinishAsync(ParseResult r, Homeserver? homeserver, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        if (homeserver is null || !r.GetValue(_upload))
        {
            using var output = CliIo.OpenOutput();
            CliIo.WriteLine(output, body.Span);
            return ExitCodes.Ok;
        }

        return await SignaturesPublisher.UploadAsync(homeserver, body, JsonFlag.Wanted(r), Console.Out, Console.Error, ct);
    }
}
