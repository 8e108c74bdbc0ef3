namespace KeyCustody.Cli.Migration;

/// <summary>
/// The migration stopped. The message says what was found, what was done before it stopped (if anything), and what
/// to do; it never holds a secret. <see cref="ExitCode"/>: 1 for a "no" (keys that do not match, a homeserver that
/// refused), 2 for bad input (a wrong recovery key), 3 for a daemon refusal, 5 for something unavailable.
/// </summary>
internal sealed class MigrationException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
