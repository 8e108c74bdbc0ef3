using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Security;
using KeyCustody.Matrix;
using KeyCustody.Matrix.Policy;

namespace KeyCustody.Daemon.Signing.Stages;

/// <summary>
/// Who may use which key for what: the access rule (deny by default), the key is configured, the call fits the key's
/// role (CrossSignDevice needs a self-signing key...), and the key is usable now (read again from its token if it had a
/// problem) and trusted (a cross-signing key attested or accepted by an admin).
/// </summary>
internal static class Admission
{
    /// <summary>The key <paramref name="request"/> names, if its caller may sign with it.</summary>
    public static KeyEntry Admit(SignRequest request, AccessRules access, KeyRegistry keys)
    {
        if (!access.Allows(request.Caller, request.KeyName, Operations.Sign))
        {
            throw new Refusal(DaemonErrors.Denied(request.Caller.ToString(), "sign", request.KeyName), AuditDecisions.PermissionDenied, null, null);
        }

        return keys.Find(request.KeyName) ?? throw new Refusal(DaemonErrors.UnknownKey(request.KeyName), AuditDecisions.UnknownKey, null, null);
    }

    public static void CheckOperationFitsRole(SignRequest request, KeyEntry key)
    {
        var needed = request.Operation switch
        {
            SignOperation.CrossSignDevice => KeyRole.SelfSigning,
            SignOperation.CrossSignUser => KeyRole.UserSigning,
            _ => key.Settings.Role,
        };
        if (needed != key.Settings.Role)
        {
            throw new Refusal(
                DaemonErrors.InvalidArgument($"{request.OperationName} needs a {needed.Describe()}; '{key.Name}' is a {key.Settings.Role.Describe()}"),
                AuditDecisions.InvalidArgument,
                "wrong key role for the operation",
                null);
        }
    }

    /// <summary>The key's public key, once it is usable and trusted.</summary>
    public static Matrix.Signing.Ed25519PublicKey RequireUsable(KeyEntry key, KeyRegistry keys)
    {
        if (key.Problem is not null)
        {
            keys.Refresh(key);
        }

        if (key.Problem is not null || key.PublicKey is null)
        {
            throw new Refusal(DaemonErrors.KeyUnavailable(key.Name, key.Problem ?? "its public key is unknown"), AuditDecisions.KeyUnavailable, key.Problem, null);
        }

        // A cross-signing key signs only when the daemon verified its attestation or an admin accepted it (KeyTrust).
        if (key.Trust is { Trusted: false, WhyNot: var whyNot })
        {
            throw new Refusal(DaemonErrors.KeyNotTrusted(key.Name, whyNot ?? "it is not trusted"), AuditDecisions.KeyNotTrusted, whyNot, null);
        }

        return key.PublicKey;
    }

    /// <summary>A caller's key name as records and logs show it.</summary>
    public static string Shown(string keyName) => DisplayText.Clip(keyName, 200);
}
