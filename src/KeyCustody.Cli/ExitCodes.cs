using Grpc.Core;

namespace KeyCustody.Cli;

/// <summary>Process exit codes, listed in <c>keycustody --help</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Success: the output is the answer (valid signature, every device trusted, signed).</summary>
    public const int Ok = 0;

    /// <summary>The input was fine but the answer is "no": invalid signature, untrusted device.</summary>
    public const int No = 1;

    /// <summary>Bad input or usage: one line <c>error: ...</c> on stderr, nothing else printed.</summary>
    public const int BadInput = 2;

    /// <summary>The daemon refused: no right to the key, or the key's role must not sign this.</summary>
    public const int Refused = 3;

    /// <summary>Nobody touched the token or approved the request in time.</summary>
    public const int TimedOut = 4;

    /// <summary>The daemon or the token is not reachable (not running, token removed, its configured key missing, queue full).</summary>
    public const int Unavailable = 5;

    /// <summary>Anything else went wrong (cancelled, internal error).</summary>
    public const int Failed = 6;

    public const string Help = """
        Exit codes:
          0  success (signed; signature valid; every device trusted)
          1  the answer is no: signature invalid (json verify), a device not trusted (trust check),
             the homeserver refused an upload or some of its signatures (publish, cross-sign --upload)
          2  bad input or usage: one line 'error: ...' on stderr and nothing else
          3  refused by the daemon: no right to the key, or the key's role must not sign this
          4  timed out waiting for a touch or an operator's approval
          5  the daemon, the token (or the key configured on it), a queue slot or the homeserver is not available
          6  any other failure (cancelled, internal error)
        """;

    public static int From(RpcException e) => e.StatusCode switch
    {
        StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.AlreadyExists or StatusCode.Unimplemented => BadInput,
        StatusCode.PermissionDenied or StatusCode.FailedPrecondition or StatusCode.Unauthenticated => Refused,
        StatusCode.DeadlineExceeded => TimedOut,
        StatusCode.Unavailable or StatusCode.ResourceExhausted => Unavailable,
        _ => Failed,
    };
}
