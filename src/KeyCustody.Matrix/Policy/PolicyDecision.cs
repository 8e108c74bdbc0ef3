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
/// </summary>
public sealed record PolicyDecision(bool Allowed, PayloadKind Kind, string Intent, string Reason)
{
    internal static PolicyDecision Allow(PayloadKind kind, string intent) => new(true, kind, intent, "allowed: " + intent);

    internal static PolicyDecision Deny(PayloadKind kind, string reason) => new(false, kind, string.Empty, reason);
}
