using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Signing;

/// <summary>
/// How a signing request ended, in a fixed vocabulary an operator filters and alerts on (the journal's
/// KEYCUSTODY_RESULT=, the metrics' result label): a handful of words, never a caller's text.
/// </summary>
public static class RequestResults
{
    public const string Signed = "signed";
    public const string RefusedRule = "refused_rule";
    public const string RefusedPolicy = "refused_policy";
    public const string RefusedUntrusted = "refused_untrusted";
    public const string BadInput = "bad_input";
    public const string PresenceTimeout = "presence_timeout";
    public const string PresenceDenied = "presence_denied";
    public const string TokenUnavailable = "token_unavailable";
    public const string TokenRefused = "token_refused";
    public const string QueueFull = "queue_full";
    public const string AuditUnavailable = "audit_unavailable";
    public const string Cancelled = "cancelled";
    public const string Error = "error";

    /// <summary>The result a request that ended with <paramref name="e"/> had.</summary>
    public static string Of(Exception e) => e switch
    {
        OperationCanceledException => Cancelled,
        DaemonException d => d.Kind switch
        {
            DaemonErrorKind.PermissionDenied => RefusedRule,
            DaemonErrorKind.PolicyDenied or DaemonErrorKind.FreshPresenceRequired => RefusedPolicy,
            DaemonErrorKind.KeyNotTrusted => RefusedUntrusted,
            DaemonErrorKind.InvalidArgument or DaemonErrorKind.NotFound => BadInput,
            DaemonErrorKind.ApprovalTimeout => PresenceTimeout,
            DaemonErrorKind.ApprovalDenied => PresenceDenied,
            DaemonErrorKind.KeyUnavailable => TokenUnavailable,
            DaemonErrorKind.QueueFull => QueueFull,
            DaemonErrorKind.AuditUnavailable => AuditUnavailable,
            _ => Error,
        },
        TokenException t => t.Kind switch
        {
            TokenErrorKind.TouchTimeout => PresenceTimeout,
            TokenErrorKind.TokenRemoved or TokenErrorKind.TokenNotFound or TokenErrorKind.KeyNotFound or TokenErrorKind.DeviceError or TokenErrorKind.SignatureInvalid => TokenUnavailable,
            TokenErrorKind.OperationCancelled => Cancelled,
            _ => TokenRefused,
        },
        Matrix.MatrixFormatException => Error,
        _ => Error,
    };
}
