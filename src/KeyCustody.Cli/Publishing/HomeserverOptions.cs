using System.CommandLine;

namespace KeyCustody.Cli.Publishing;

/// <summary>The options every command that talks to a homeserver shares: where, as whom, how long to wait.</summary>
internal sealed class HomeserverOptions
{
    public Option<string?> Homeserver { get; } = new("--homeserver")
    {
        Description = "the homeserver's client-server API base URL, e.g. https://matrix.example.org (https; http only to this machine)",
    };

    public Option<string?> AccessTokenFile { get; } = new("--access-token-file")
    {
        Description = "file holding the user's access token; it must not be readable by other users",
    };

    public Option<int> TimeoutSeconds { get; } = new("--timeout-seconds")
    {
        Description = "give up on a homeserver request after this many seconds",
        DefaultValueFactory = _ => 30,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Homeserver);
        command.Options.Add(AccessTokenFile);
        command.Options.Add(TimeoutSeconds);
    }

    /// <summary>True when any homeserver option was given on the command line.</summary>
    public bool AnyGiven(ParseResult r) => r.GetResult(Homeserver) is { Implicit: false } || r.GetResult(AccessTokenFile) is { Implicit: false };

    /// <summary>Checks the URL and reads the token; names what is missing.</summary>
    public Homeserver Open(ParseResult r)
    {
        var url = r.GetValue(Homeserver) ?? throw new UsageException("give --homeserver URL");
        var token = r.GetValue(AccessTokenFile) ?? throw new UsageException("give --access-token-file FILE");
        return Publishing.Homeserver.Open(url, token, r.GetValue(TimeoutSeconds));
    }
}
