using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Matrix.Policy;

/// <summary>
/// Which role may sign what (matrix-signing.md §3.1), decided before any token is asked:
/// <list type="bullet">
/// <item>master: its own user's self-signing and user-signing key objects, only for the keys known for those roles
/// (key separation: the user-signing key is never signed as the self-signing key); its own master key object (a
/// self-signature, as matrix-rust-sdk makes); its user's key-backup <c>auth_data</c>. Key objects only as the spec
/// defines them: no members beyond <c>user_id</c>, <c>usage</c>, <c>keys</c>, <c>signatures</c>;</item>
/// <item>self-signing: its own user's device keys, only when they carry the device's valid self-signature, and only
/// when the device ID is one servers and clients produce (<see cref="IdentifierGrammar"/>) and cannot be taken for a
/// key: not one of the user's known cross-signing keys, not the device's own Ed25519 key;</item>
/// <item>user-signing: other users' master key objects;</item>
/// <item>server: any JSON object.</item>
/// </list>
/// User IDs, the owner's and those in payloads, must follow the spec's grammar. Everything else is refused with the
/// reason; a reason never quotes an identifier the grammar refused.
/// </summary>
public static class SigningPolicy
{
    /// <param name="role">The signing key's role.</param>
    /// <param name="owner">The key's owner: a user ID, or a server name for <see cref="KeyRole.Server"/>.</param>
    /// <param name="signerKey">The signing key's public key.</param>
    /// <param name="known">The owner's cross-signing public keys the caller knows (for key separation and device-ID collisions).</param>
    /// <param name="payload">The object to be signed (its <c>signatures</c> and <c>unsigned</c> are ignored).</param>
    public static PolicyDecision Evaluate(KeyRole role, string owner, Ed25519PublicKey signerKey, KnownIdentity known, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(signerKey);
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(payload);
        if (role == KeyRole.Server)
        {
            return owner.Length == 0
                ? PolicyDecision.Deny(PayloadKind.Other, "server-name-missing", "a server key needs its server name")
                : PolicyDecision.Allow(Classify(payload), $"sign a JSON object with the server key {signerKey.Base64} of {owner}");
        }

        if (IdentifierGrammar.UserIdProblem(owner) is { } ownerProblem)
        {
            return PolicyDecision.Deny(PayloadKind.Other, "owner-not-user-id", $"the owner of a {role.Describe()} must be a user ID, and it is not: {ownerProblem}");
        }

        return role switch
        {
            KeyRole.Master => EvaluateMaster(owner, signerKey, known, payload),
            KeyRole.SelfSigning => EvaluateSelfSigning(owner, signerKey, known, payload),
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

    private static PolicyDecision EvaluateMaster(string owner, Ed25519PublicKey signerKey, KnownIdentity known, JsonObject payload)
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

        if (IdentifierGrammar.UserIdProblem(key!.UserId) is { } userProblem)
        {
            return PolicyDecision.Deny(kind, "user-id-invalid", $"the key object's user_id is not a Matrix user ID: {userProblem}");
        }

        if (key.UserId != owner)
        {
            return PolicyDecision.Deny(kind, "master-other-user", $"the master key of {owner} does not sign keys of {key.UserId}");
        }

        // What the master key signs is published as it is (/keys/device_signing/upload): nothing but the spec's members.
        if (key.ExtraMembers.Count > 0)
        {
            return PolicyDecision.Deny(kind, "master-extra-members",
                $"the master key signs a key object only as the spec defines it (user_id, usage, keys, signatures); this {key.Usage.Describe()} object has {key.ExtraMembers.Count} other member(s)");
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

        // Key separation: each role's object names that role's key, never another key of the user (or a stranger's).
        var configured = known.Of(key.Usage);
        if (!configured.Contains(key.PublicKey))
        {
            var actually = known.All.Where(k => k.PublicKey.Equals(key.PublicKey)).Select(k => $", which is {owner}'s {k.Usage.Describe()}").FirstOrDefault() ?? string.Empty;
            return PolicyDecision.Deny(kind, "master-key-separation", configured.Count == 0
                ? $"no {key.Usage.Describe()} of {owner} is configured here, and the master key signs only the one configured for that role (this object names {key.PublicKey.Base64}{actually})"
                : $"the {key.Usage.Describe()} of {owner} is {string.Join(" or ", configured.Select(k => k.Base64))}; the master key signs no other key for that role (this object names {key.PublicKey.Base64}{actually})");
        }

        return PolicyDecision.Allow(kind, $"sign the {key.Usage.Describe()} {key.PublicKey.Base64} of {owner} with the master key");
    }

    private static PolicyDecision EvaluateSelfSigning(string owner, Ed25519PublicKey signerKey, KnownIdentity known, JsonObject payload)
    {
        // Read once: an object that is valid device keys is classified as device keys (it has no usage, so it is no
        // cross-signing key); only a refused one is classified, for the reason.
        if (!DeviceKeys.TryParse(payload, out var device, out var error))
        {
            var kind = Classify(payload);
            return PolicyDecision.Deny(kind, "ssk-wrong-object", $"the self-signing key signs only {owner}'s device keys; {(kind == PayloadKind.Other ? "this is not valid device keys: " + error : Describe(kind, error))}");
        }

        const PayloadKind deviceKeys = PayloadKind.DeviceKeys;

        if (IdentifierGrammar.UserIdProblem(device!.UserId) is { } userProblem)
        {
            return PolicyDecision.Deny(deviceKeys, "user-id-invalid", $"the device's user_id is not a Matrix user ID: {userProblem}");
        }

        if (device.UserId != owner)
        {
            return PolicyDecision.Deny(deviceKeys, "ssk-other-user", $"the self-signing key of {owner} does not sign devices of {device.UserId}");
        }

        if (IdentifierGrammar.DeviceIdProblem(device.DeviceId) is { } deviceProblem)
        {
            return PolicyDecision.Deny(deviceKeys, "device-id-invalid", $"the device_id is not one a Matrix server or client makes: {deviceProblem}");
        }

        if (Collision(device, signerKey, known) is { } collision)
        {
            return PolicyDecision.Deny(deviceKeys, "device-id-collides", $"device {device.DeviceId} {collision}");
        }

        var self = device.VerifySelfSignature();
        if (!self.IsValid)
        {
            return PolicyDecision.Deny(deviceKeys, "device-not-self-signed", $"device {device.DeviceId} does not carry its own valid self-signature ({self.Reason}); only devices that signed themselves are cross-signed");
        }

        return PolicyDecision.Allow(deviceKeys, $"sign device {device.DeviceId} of {owner} with the self-signing key");
    }

    /// <summary>
    /// Device key IDs (<c>ed25519:DEVICE_ID</c>) and cross-signing key IDs (<c>ed25519:PUBLIC_KEY</c>) share one
    /// namespace (spec, "Key and signature security"): a device named like one of the user's cross-signing keys is
    /// taken for that key by clients and servers (Synapse routes a signature "of the device" to the master key), and
    /// the spec tells clients to refuse to verify such a user. Also refused: a device ID that is its own Ed25519 key
    /// (its self-signature then reads as a cross-signing key's), and a device whose key is a cross-signing key.
    /// </summary>
    private static string? Collision(DeviceKeys device, Ed25519PublicKey signerKey, KnownIdentity known)
    {
        // Only 43 base64 characters (and at most two '=' after them) decode to 32 bytes: other IDs are not decoded at all.
        var named = device.DeviceId.Length is >= 43 and <= 45 && Ed25519PublicKey.TryFromBase64(device.DeviceId, out var asKey, out _) ? asKey : null;
        bool Names(Ed25519PublicKey key) => device.DeviceId == key.Base64 || key.Equals(named);

        if (Names(signerKey) || device.Ed25519Key.Equals(signerKey))
        {
            return "collides with the self-signing key itself";
        }

        var all = known.All;
        for (var i = 0; i < all.Count; i++)
        {
            var (usage, key) = all[i];
            if (Names(key))
            {
                return $"has the ID of {device.UserId}'s {usage.Describe()}: clients would take the one for the other (the spec forbids device IDs equal to cross-signing keys)";
            }

            if (device.Ed25519Key.Equals(key))
            {
                return $"has {device.UserId}'s {usage.Describe()} as its own key";
            }
        }

        return Names(device.Ed25519Key)
            ? "is named after its own Ed25519 key: its key ID would read as a cross-signing key's"
            : null;
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

        if (IdentifierGrammar.UserIdProblem(key.UserId) is { } userProblem)
        {
            return PolicyDecision.Deny(kind, "user-id-invalid", $"the master key's user_id is not a Matrix user ID: {userProblem}");
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
