namespace KeyCustody.Cli.Publishing;

/// <summary>
/// The homeserver said no, could not be reached, or asked for something this command cannot give. The
/// message is one line a person can act on; it never holds the access token or a password.
/// </summary>
internal sealed class HomeserverException(int exitCode, string message, int? httpStatus = null, string? errCode = null) : Exception(message)
{
    /// <summary>See <see cref="ExitCodes"/>: 1 the homeserver refused, 2 bad input, 5 not reachable.</summary>
    public int ExitCode { get; } = exitCode;

    public int? HttpStatus { get; } = httpStatus;

    public string? ErrCode { get; } = errCode;
}
