using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Requests;

/// <summary>
/// A request refused before its intent: what the caller is told (<see cref="Error"/>), and the decision record the audit
/// log gets first (<see cref="Decision"/>, <see cref="Reason"/> and <see cref="Details"/> such as the payloads' hashes).
/// Stages throw it; <see cref="OperationStages"/> records it and throws <see cref="Error"/>.
/// </summary>
public sealed class Refusal(DaemonException error, string decision, string? reason, JsonObject? details) : Exception(error.Message, error)
{
    public DaemonException Error { get; } = error;

    public string Decision { get; } = decision;

    /// <summary>The reason the record gives (none when the decision says it all).</summary>
    public string? Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    /// <summary>A refusal recorded with a decision named after <paramref name="error"/>'s kind and its message as the reason.</summary>
    public static Refusal Of(DaemonException error) => new(error, DecisionOf(error.Kind), error.Message, null);

    /// <summary>The decision a refusal of <paramref name="kind"/> is recorded as.</summary>
    public static string DecisionOf(DaemonErrorKind kind) => kind switch
    {
        DaemonErrorKind.PermissionDenied => AuditDecisions.PermissionDenied,
        DaemonErrorKind.NotFound => AuditDecisions.NotFound,
        DaemonErrorKind.InvalidArgument => AuditDecisions.InvalidArgument,
        DaemonErrorKind.PolicyDenied => AuditDecisions.PolicyDenied,
        DaemonErrorKind.KeyUnavailable => AuditDecisions.KeyUnavailable,
        DaemonErrorKind.KeyNotTrusted => AuditDecisions.KeyNotTrusted,
        DaemonErrorKind.FreshPresenceRequired => AuditDecisions.FreshPresenceRequired,
        DaemonErrorKind.PinnedKeyReplaced => AuditDecisions.PinnedKeyReplaced,
        DaemonErrorKind.QueueFull => "queue_full",
        DaemonErrorKind.ApprovalTimeout => "approval_timeout",
        DaemonErrorKind.ApprovalDenied => "approval_denied",
        DaemonErrorKind.AuditUnavailable => "audit_unavailable",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "a refusal of a kind without a decision name"),
    };

    /// <summary>The record of this refusal: <paramref name="record"/> (who, what) with the decision.</summary>
    public JsonObject Record(JsonObject record)
    {
        var r = (Details is null ? record : Details.Aggregate(record, (o, m) => o.With(m.Key, m.Value)))
            .With("kind", AuditKinds.Decision).With("decision", Decision);
        return Reason is null ? r : r.With("reason", Reason);
    }
}
