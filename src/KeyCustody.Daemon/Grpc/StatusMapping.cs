using Grpc.Core;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Grpc;

/// <summary>
/// The one place errors become gRPC statuses. Clients get the status code and the domain message (which
/// says what to do); never an exception type, stack trace or internal detail.
/// </summary>
internal static class StatusMapping
{
    public static RpcException ToRpc(Exception e, ServerCallContext context) => e switch
    {
        RpcException rpc => rpc,
        DaemonException d => new RpcException(new Status(Code(d.Kind), d.Message)),
        TokenException t => new RpcException(new Status(Code(t.Kind), t.Message)),
        OperationCanceledException when context.Deadline <= DateTime.UtcNow => new RpcException(new Status(StatusCode.DeadlineExceeded, "the deadline passed before the request finished; nothing was returned")),
        OperationCanceledException => new RpcException(new Status(StatusCode.Cancelled, "the request was cancelled; nothing was returned")),
        Matrix.MatrixFormatException m => new RpcException(new Status(StatusCode.InvalidArgument, m.Message)),
        _ => Internal(e, context),
    };

    /// <summary>
    /// The caller learns only that something failed; the log gets the exception, so "the daemon log has the details" is
    /// true. Exception messages in this code base name files, settings and keys, never a secret's value or a payload.
    /// </summary>
    private static RpcException Internal(Exception e, ServerCallContext context)
    {
        Serilog.Log.Error(e, "Internal error in {Method}; the caller was told only 'internal error'", context.Method);
        return new RpcException(new Status(StatusCode.Internal, "internal error; the daemon log has the details"));
    }

    private static StatusCode Code(DaemonErrorKind kind) => kind switch
    {
        DaemonErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        DaemonErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        DaemonErrorKind.PolicyDenied => StatusCode.FailedPrecondition,
        DaemonErrorKind.NotFound => StatusCode.NotFound,
        DaemonErrorKind.QueueFull => StatusCode.ResourceExhausted,
        DaemonErrorKind.ApprovalTimeout => StatusCode.DeadlineExceeded,
        DaemonErrorKind.ApprovalDenied => StatusCode.PermissionDenied,
        DaemonErrorKind.AuditUnavailable => StatusCode.Unavailable,
        DaemonErrorKind.KeyUnavailable => StatusCode.Unavailable,
        DaemonErrorKind.FreshPresenceRequired => StatusCode.FailedPrecondition,
        DaemonErrorKind.KeyNotTrusted => StatusCode.FailedPrecondition,
        DaemonErrorKind.PinnedKeyReplaced => StatusCode.FailedPrecondition,
        _ => StatusCode.Internal,
    };

    private static StatusCode Code(TokenErrorKind kind) => kind switch
    {
        TokenErrorKind.TouchTimeout => StatusCode.DeadlineExceeded,
        // A configured key missing on its token is the token not being as configured, not the caller's mistake.
        TokenErrorKind.TokenRemoved or TokenErrorKind.TokenNotFound or TokenErrorKind.DeviceError or TokenErrorKind.SignatureInvalid or TokenErrorKind.KeyNotFound => StatusCode.Unavailable,
        TokenErrorKind.OperationCancelled => StatusCode.Cancelled,
        TokenErrorKind.NotSupported => StatusCode.Unimplemented,
        TokenErrorKind.KeyExists => StatusCode.AlreadyExists,
        _ => StatusCode.FailedPrecondition,
    };
}
