namespace KeyCustody.Daemon;

/// <summary>The daemon's own refusals (token failures are <see cref="KeyCustody.Tokens.TokenException"/>).</summary>
public enum DaemonErrorKind
{
    /// <summary>The request itself is malformed: bad JSON, unknown key name, empty batch.</summary>
    InvalidArgument,
    /// <summary>The principal has no right to this key or operation.</summary>
    PermissionDenied,
    /// <summary>The key's role must not sign this payload (signing policy).</summary>
    PolicyDenied,
    /// <summary>No such key, request or token.</summary>
    NotFound,
    /// <summary>The token's queue is full.</summary>
    QueueFull,
    /// <summary>Nobody approved in time.</summary>
    ApprovalTimeout,
    /// <summary>An operator denied the request.</summary>
    ApprovalDenied,
    /// <summary>The audit log cannot be written, so nothing is signed.</summary>
    AuditUnavailable,
    /// <summary>The key's token is not usable now (absent, or its key differs from the pinned one).</summary>
    KeyUnavailable,
    /// <summary>The card may sign on another person's cached touch, which does not cover this caller.</summary>
    FreshPresenceRequired,
    /// <summary>A cross-signing key that is not attested and not accepted by an admin, or that was rejected.</summary>
    KeyNotTrusted,
    /// <summary>A new key would replace a pinned public key (the key's identity) without an explicit overwrite.</summary>
    PinnedKeyReplaced,
}

/// <summary>A refusal with a message a person can act on. Never carries a payload, PIN or key.</summary>
public sealed class DaemonException(DaemonErrorKind kind, string message) : Exception(message)
{
    public DaemonErrorKind Kind { get; } = kind;
}

/// <summary>The one place daemon refusals are worded.</summary>
public static class DaemonErrors
{
    public static DaemonException InvalidJson(int index, string detail) => new(DaemonErrorKind.InvalidArgument,
        index < 0 ? $"the JSON is not acceptable: {detail}; nothing was signed" : $"JSON object {index} is not acceptable: {detail}; nothing was signed");

    public static DaemonException InvalidArgument(string detail) => new(DaemonErrorKind.InvalidArgument, detail);

    public static DaemonException UnknownKey(string key) => new(DaemonErrorKind.NotFound, $"there is no key named '{Caller(key)}'; `keycustody keys list` shows the keys you may use");

    public static DaemonException Denied(string principal, string operation, string key) => new(DaemonErrorKind.PermissionDenied,
        $"{principal} may not {operation} with key '{Caller(key)}'; ask an operator to add an access rule");

    public static DaemonException DeniedAdmin(string principal, string operation) => new(DaemonErrorKind.PermissionDenied,
        $"{principal} may not {operation}; it needs the admin right in the access rules");

    public static DaemonException DeniedApprove(string principal) => new(DaemonErrorKind.PermissionDenied,
        $"{principal} may not approve or deny requests; it needs the approve right on a key in the access rules");

    public static DaemonException Policy(string key, string reason) => new(DaemonErrorKind.PolicyDenied, $"key '{key}' refuses to sign this: {reason}");

    public static DaemonException QueueFull(string token, int limit) => new(DaemonErrorKind.QueueFull,
        $"token {token} already has {limit} requests waiting; retry later");

    public static DaemonException ApprovalTimeout(string requestId, TimeSpan timeout) => new(DaemonErrorKind.ApprovalTimeout,
        $"request {requestId} was not approved within {timeout.TotalSeconds:0} s; nothing was signed");

    public static DaemonException ApprovalWithdrawn(string requestId, string principal, string key) => new(DaemonErrorKind.PermissionDenied,
        $"request {requestId} was cancelled: the access rules were reloaded and no longer let {principal} sign with key '{Caller(key)}'; nothing was signed");

    public static DaemonException ApprovalDenied(string requestId, string by, string reason) => new(DaemonErrorKind.ApprovalDenied,
        $"request {requestId} was denied by {by}{(reason.Length > 0 ? ": " + reason : string.Empty)}; nothing was signed");

    public static DaemonException AuditUnavailable(string detail) => new(DaemonErrorKind.AuditUnavailable,
        $"the audit log cannot be written ({detail}); nothing is signed until it can");

    public static DaemonException KeyUnavailable(string key, string detail) => new(DaemonErrorKind.KeyUnavailable, $"key '{key}' is not usable now: {detail}");

    public static DaemonException CachedTouchOfAnother(string key, string toucher, string requestId, TimeSpan retryIn) => new(DaemonErrorKind.FreshPresenceRequired,
        $"key '{key}' has touch policy cached and its card may still hold the touch {toucher} gave for request {requestId}, which covers only {toucher}'s requests; " +
        $"retry in {Math.Ceiling(retryIn.TotalSeconds):0} s, when the card asks for a new touch (or an operator sets presence.cachedTouchForOthers to operator); nothing was signed");

    public static DaemonException UnknownRequest(string requestId) => new(DaemonErrorKind.NotFound, $"no pending request {Caller(requestId)} (it may have been approved, denied, cancelled or timed out)");

    public static DaemonException KeyNotTrusted(string key, string detail) => new(DaemonErrorKind.KeyNotTrusted, $"key '{key}' is not trusted to sign: {detail}; nothing was signed");

    public static DaemonException KeyDecisionRefused(string key, string decision, string detail) => new(DaemonErrorKind.KeyNotTrusted, $"key '{key}' cannot be {decision}: {detail}");

    public static DaemonException PinnedKeyReplaced(string key, string pinned, string token, string slot, string problem) => new(DaemonErrorKind.PinnedKeyReplaced,
        $"key '{key}' is pinned to public key {pinned}, and token {token} does not hold it in {slot} ({problem}): the card was reset or replaced. " +
        $"A new key there changes the identity of '{key}' (its Matrix key id; everything signed or uploaded with the pinned key stops matching), so nothing was generated; " +
        "generate with --overwrite to replace it deliberately");

    /// <summary>A name the caller sent, quoted back: escaped and clipped, never the caller's raw text.</summary>
    private static string Caller(string text) => Matrix.DisplayText.Clip(text, 80);
}
