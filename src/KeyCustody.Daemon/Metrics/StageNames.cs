namespace KeyCustody.Daemon.Metrics;

/// <summary>
/// The stages of a token operation that keycustody_stage_duration_seconds times, by the fixed names of its stage label.
/// </summary>
public static class StageNames
{
    /// <summary>Waiting for a turn on the token (and its handle, opened again after the device went away).</summary>
    public const string Queue = "queue";

    /// <summary>Waiting for a person: an operator's approval, or a touch from the card's first prompt to its answer.</summary>
    public const string Presence = "presence";

    /// <summary>The work on the token, a touch wait excluded.</summary>
    public const string Token = "token";

    /// <summary>One group commit of the audit log: the write and its fsync.</summary>
    public const string AuditFsync = "audit_fsync";

    public static IReadOnlyList<string> All { get; } = [Queue, Presence, Token, AuditFsync];
}
