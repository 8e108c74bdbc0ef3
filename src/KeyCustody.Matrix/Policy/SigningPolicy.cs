using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Matrix.Policy;

/// <summary>
/// Which role may sign what (matrix-signing.md §3.1), decided before any token is asked:
/// <list type="bullet">
/// <item>master: its own user's self-signing and user-signing key objects; its own master key object
/// (a self-signature, as matrix-rust-sdk makes); its user's key-backup <c>auth_data</c>;</item>
/// <item>self-signing: its own user's device keys, only when they carry the device's valid self-signature;</item>
/// <item>user-signing: other users' master key objects;</item>
/// <item>server: any JSON object.</item>
/// </list>
/// Everything else is refused with the reason.
/// </summary>
public static class SigningPolicy
{
    /// <param name="role">The signing key's role.</param>
    /// <param name="owner">The key's owner: a user ID, or a server name for <see cref="KeyRole.Server"/>.</param>
    /// <param name="signerKey">The signing key's public key.</param>
    /// <param name="payload">The object to be signed (its <c>signatures</c> and <c>unsigned</c> are ignored).</param>
    public static PolicyDecision Evaluate(KeyRole role, string owner, Ed25519PublicKey signerKey, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(signerKey);
        ArgumentNullException.ThrowIfNull(payload);
        if (role == KeyRole.Server)
        {
            return owner.Length == 0
                ? PolicyDecision.Deny(PayloadKind.Other, "server-name-missing", "a server key needs its server name")
                : PolicyDecision.Allow(Classify(payload), $"sign a JSON object with the server key {signerKey.Base64} of {owner}");
        }

        if (!MatrixIds.IsUserId(owner))
        {
            return PolicyDecision.Deny(PayloadKind.Other, "owner-not-user-id", $"the owner of a {role.Describe()} must be a user ID, not '{owner}'");
        }

        return role switch
        {
            KeyRole.Master => EvaluateMaster(owner, signerKey, payload),
            KeyRole.SelfSigning => EvaluateSelfSigning(owner, signerKey, payload),
            KeyRole.UserSigning => EvaluateUserSigning(owner, payload),
            _ => throw new ArgumentOutOfRangeException(nameof(role)),
        };
    }

    /// <summary>What the payload looks like, for messages and audit.</summary>
    public static PayloadKind Classify(JsonObject payload)
    {
        if (CrossSigningKey.TryParse(payload, out var key, out _))
        {
            return key!.Usage switch
            {
                KeyUsage.Master => PayloadKind.MasterKey,
                KeyUsage.SelfSigning => PayloadKind.SelfSigningKey,
                _ => PayloadKind.UserSigningKey,
            };
        }

        if (DeviceKeys.TryParse(payload, out _, out _))
        {
            return PayloadKind.DeviceKeys;
        }

        return IsKeyBackupAuthData(payload) ? PayloadKind.KeyBackupAuthData : PayloadKind.Other;
    }

    private static PolicyDecision EvaluateMaster(string owner, Ed25519PublicKey signerKey, JsonObject payload)
    {
        var kind = Classify(payload);
        if (kind == PayloadKind.KeyBackupAuthData)
        {
            return PolicyDecision.Allow(kind, $"sign the key-backup public key {payload.GetString("public_key")} of {owner} with the master key");
        }

        if (!CrossSigningKey.TryParse(payload, out var key, out var error))
        {
            return PolicyDecision.Deny(kind, "master-wrong-object", $"the master key signs only {owner}'s self-signing and user-signing keys; {Describe(kind, error)}");
        }

        if (key!.UserId != owner)
        {
            return PolicyDecision.Deny(kind, "master-other-user", $"the master key of {owner} does not sign keys of {key.UserId}");
        }

        if (key.Usage == KeyUsage.Master)
        {
            return key.PublicKey.Equals(signerKey)
                ? PolicyDecision.Allow(kind, $"sign the master key {key.PublicKey.Base64} of {owner} with itself")
                : PolicyDecision.Deny(kind, "master-signs-master", $"the master key does not sign another master key ({key.PublicKey.Base64})");
        }

        if (key.PublicKey.Equals(signerKey))
        {
            return PolicyDecision.Deny(kind, "same-as-master", $"the {key.Usage.Describe()} must differ from the master key");
        }

        return PolicyDecision.Allow(kind, $"sign the {key.Usage.Describe()} {key.PublicKey.Base64} of {owner} with the master key");
    }

    private static PolicyDecision EvaluateSelfSigning(string owner, Ed25519PublicKey signerKey, JsonObject payload)
    {
        var kind = Classify(payload);
        if (!DeviceKeys.TryParse(payload, out var device, out var error))
        {
            return PolicyDecision.Deny(kind, "ssk-wrong-object", $"the self-signing key signs only {owner}'s device keys; {(kind == PayloadKind.Other ? "this is not valid device keys: " + error : Describe(kind, error))}");
        }

        if (device!.UserId != owner)
        {
            return PolicyDecision.Deny(kind, "ssk-other-user", $"the self-signing key of {owner} does not sign devices of {device.UserId}");
        }

        if (device.DeviceId == signerKey.Base64 || device.Ed25519Key.Equals(signerKey))
        {
            return PolicyDecision.Deny(kind, "device-id-collides", $"device {device.DeviceId} collides with the self-signing key itself");
        }

        var self = device.VerifySelfSignature();
        if (!self.IsValid)
        {
            return PolicyDecision.Deny(kind, "device-not-self-signed", $"device {device.DeviceId} does not carry its own valid self-signature ({self.Reason}); only devices that signed themselves are cross-signed");
        }

        return PolicyDecision.Allow(kind, $"sign device {device.DeviceId} of {owner} with the self-signing key");
    }

    private static PolicyDecision EvaluateUserSigning(string owner, JsonObject payload)
    {
        var kind = Classify(payload);
        if (!CrossSigningKey.TryParse(payload, out var key, out var error))
        {
            return PolicyDecision.Deny(kind, "usk-wrong-object", $"the user-signing key signs only other users' master keys; {Describe(kind, error)}");
        }

        if (key!.Usage != KeyUsage.Master)
        {
            return PolicyDecision.Deny(kind, "usk-not-master-key", $"the user-signing key signs only master keys, not a {key.Usage.Describe()}");
        }

        if (key.UserId == owner)
        {
            return PolicyDecision.Deny(kind, "usk-own-master-key", $"the user-signing key signs other users' master keys, not {owner}'s own");
        }

        return PolicyDecision.Allow(kind, $"sign the master key {key.PublicKey.Base64} of {key.UserId} with the user-signing key of {owner}");
    }

    /// <summary>What the refused payload is, in words.</summary>
    private static string Describe(PayloadKind kind, string error) => kind switch
    {
        PayloadKind.DeviceKeys => "this is device keys",
        PayloadKind.KeyBackupAuthData => "this is key-backup auth data",
        PayloadKind.MasterKey => "this is a master key",
        PayloadKind.SelfSigningKey => "this is a self-signing key",
        PayloadKind.UserSigningKey => "this is a user-signing key",
        _ => "this is not a valid cross-signing key: " + error,
    };

    /// <summary>Key-backup <c>auth_data</c> (m.megolm_backup.v1.curve25519-aes-sha2): exactly a canonical 32-byte <c>public_key</c>.</summary>
    private static bool IsKeyBackupAuthData(JsonObject payload)
    {
        var signed = payload.Without("signatures", "unsigned");
        return signed.Count == 1
            && signed.GetString("public_key") is { } pk
            && UnpaddedBase64.IsCanonical(pk)
            && UnpaddedBase64.Decode(pk).Length == 32;
    }
}
