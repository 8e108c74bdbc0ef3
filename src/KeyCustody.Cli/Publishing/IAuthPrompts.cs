namespace KeyCustody.Cli.Publishing;

/// <summary>What user-interactive auth needs from the person (or the script) running the command.</summary>
internal interface IAuthPrompts
{
    /// <summary>True when a password comes from a file: the homeserver's challenge then prefers the password flow.</summary>
    bool HasPasswordFile { get; }

    /// <summary>Whether a stage that was not accepted may be tried again (a person at a terminal can; a script's file cannot change).</summary>
    bool CanRetry(string stage);

    /// <summary>The password as UTF-8 bytes the caller zeroes. <paramref name="problem"/> says why the last one was refused.</summary>
    byte[] ReadPassword(string userId, string? problem);

    /// <summary>Shows <paramref name="url"/> and returns once the person says they approved there (or the scripted wait is over).</summary>
    Task WaitForApprovalAsync(string userId, string url, string? problem, CancellationToken ct);
}
