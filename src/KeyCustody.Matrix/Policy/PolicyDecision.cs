namespace KeyCustody.Matrix.Policy;

/// <summary>What kind of object a payload is, as the policy recognised it.</summary>
public enum PayloadKind
{
    DeviceKeys,
    MasterKey,
    SelfSigningKey,
    UserSigningKey,
    KeyBackupAuthData,
    Other,
}

/// <summary>
/// The signing policy's answer: allowed or not, why, and the intent a person confirming the
/// signature should see (e.g. "sign device JLAFKJWSCS of @alice:example.org with the self-signing key").
/// <see cref="Rule"/> names the rule that decided in words free of the payload's content (for operational logs);
/// <see cref="Reason"/> and <see cref="Intent"/> quote the payload (user and device ids, keys).
/// </summary>
public sealed record PolicyDecision(bool Allowed, PayloadKind Kind, string Intent, string Reason, string Rule)
{
    // An allowed decision's reason is its intent, said when asked: a batch is 1,000 allowed decisions, and nobody reads
    // their reasons on the way to the token.
    private readonly string? _reason = Reason;

    public string Reason
    {
        get => _reason ?? "allowed: " + Intent;
        init => _reason = value;
    }

    internal static PolicyDecision Allow(PayloadKind kind, string intent) => new(true, kind, intent, null!, "allowed");

    internal static PolicyDecision Deny(PayloadKind kind, string rule, string reason) => new(false, kind, string.Empty, reason, rule);
}
