namespace KeyCustody.Contract.Audit;

/// <summary>What an audit record's <c>kind</c> says it is: the daemon writes these, <c>keycustody audit</c> reads them.</summary>
public static class AuditKinds
{
    /// <summary>The daemon started: records found, a torn tail removed, the anchor, requests interrupted by a stop.</summary>
    public const string Start = "start";

    /// <summary>A request refused before any intent (no right, unknown name, bad input, the policy...).</summary>
    public const string Decision = "decision";

    /// <summary>A signature about to be made: on disk before the token is asked.</summary>
    public const string Intent = "intent";

    /// <summary>An operator approved a request.</summary>
    public const string Approval = "approval";

    /// <summary>An operator denied a request.</summary>
    public const string Denial = "denial";

    /// <summary>How a signing request ended (signed, or what failed), or that it was interrupted.</summary>
    public const string Outcome = "outcome";

    /// <summary>An admin operation about to change a token or the daemon's records (generate, import, accept, reject).</summary>
    public const string AdminIntent = "admin_intent";

    /// <summary>How an admin operation on a token ended.</summary>
    public const string AdminOutcome = "admin_outcome";

    /// <summary>An admin's acceptance or rejection of a key, refused: older logs only (refusals are now "decision" records, as every call's).</summary>
    public const string AdminRefused = "admin_refused";

    /// <summary>A change to what the daemon records of a key's origin and attestation.</summary>
    public const string KeyProvenance = "key_provenance";
}

/// <summary>The <c>decision</c> of an intent (allowed) or of a refusal before it.</summary>
public static class AuditDecisions
{
    public const string Allowed = "allowed";
    public const string PermissionDenied = "permission_denied";
    public const string UnknownKey = "unknown_key";
    public const string NotFound = "not_found";
    public const string InvalidArgument = "invalid_argument";
    public const string PolicyDenied = "policy_denied";
    public const string KeyUnavailable = "key_unavailable";
    public const string KeyNotTrusted = "key_not_trusted";
    public const string FreshPresenceRequired = "fresh_presence_required";
    public const string PinnedKeyReplaced = "pinned_key_replaced";
}

/// <summary>
/// The <c>outcome</c> of a request. A failed signature names what failed in lower case without separators
/// (<c>touchtimeout</c>, <c>approvaldenied</c>, <c>tokenremoved</c>...); a failed admin operation is <see cref="Failed"/>.
/// </summary>
public static class AuditOutcomes
{
    public const string Signed = "signed";
    public const string Cancelled = "cancelled";
    public const string Interrupted = "interrupted";
    public const string SignatureRejected = "signature_rejected";
    public const string InternalError = "internal_error";
    public const string Generated = "generated";
    public const string Imported = "imported";
    public const string Failed = "failed";
}
