namespace KeyCustody.Daemon.Metrics;

/// <summary>
/// The metric families the daemon exposes (Prometheus conventions: keycustody_ prefix, base units, _total for counters).
/// The alert rules (examples/prometheus/alerts.yml) and the dashboard (examples/grafana/keycustody.json) use these names.
/// </summary>
public static class MetricNames
{
    public const string Requests = "keycustody_requests_total";
    public const string RequestDuration = "keycustody_request_duration_seconds";
    public const string StageDuration = "keycustody_stage_duration_seconds";
    public const string TokenPresent = "keycustody_token_present";
    public const string TokenPinRetries = "keycustody_token_pin_retries";
    public const string QueueDepth = "keycustody_queue_depth";
    public const string ApprovalsPending = "keycustody_approvals_pending";
    public const string AuditRecords = "keycustody_audit_records_total";
    public const string AuditHealthy = "keycustody_audit_healthy";
    public const string BuildInfo = "keycustody_build_info";

    public static IReadOnlyList<string> All { get; } =
        [Requests, RequestDuration, StageDuration, TokenPresent, TokenPinRetries, QueueDepth, ApprovalsPending, AuditRecords, AuditHealthy, BuildInfo];
}
