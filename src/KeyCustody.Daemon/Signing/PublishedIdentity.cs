using KeyCustody.Daemon.Keys;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;

namespace KeyCustody.Daemon.Signing;

/// <summary>
/// The /keys/device_signing/upload body of a user as the daemon would publish it: the master key object, and the
/// self-signing and user-signing key objects its master key signed here, each matching the configured key and verifying
/// against the master key's pinned public key; what is missing is named instead.
/// </summary>
internal static class PublishedIdentity
{
    public static (JsonObject? Body, List<string> Missing) UploadBody(IdentityStore identities, string userId, IReadOnlyList<KeyEntry> mine)
    {
        var missing = new List<string>();
        var masterEntry = mine.FirstOrDefault(k => k.Settings.Role == KeyRole.Master && k.Settings.BackupOf is null);
        if (masterEntry?.PublicKey is null)
        {
            missing.Add($"no master key of {userId} is configured (or its public key is not known yet)");
            return (null, missing);
        }

        var master = identities.Get(userId, KeyUsage.Master) is { } stored && stored.PublicKey.Equals(masterEntry.PublicKey)
            ? stored
            : CrossSigningKey.Create(userId, KeyUsage.Master, masterEntry.PublicKey);
        CrossSigningKey? Signed(KeyUsage usage)
        {
            var entry = mine.FirstOrDefault(k => k.Settings.Role == usage.ToRole() && k.Settings.BackupOf is null);
            if (entry?.PublicKey is null)
            {
                missing.Add($"no {usage.Describe()} of {userId} is configured");
                return null;
            }

            var key = identities.Get(userId, usage);
            if (key is null || !key.PublicKey.Equals(entry.PublicKey) || !key.VerifySignedBy(userId, masterEntry.PublicKey).IsValid)
            {
                missing.Add($"the {usage.Describe()} object has not been signed by the master key yet (sign it with key '{masterEntry.Name}')");
                return null;
            }

            return key;
        }

        var ssk = Signed(KeyUsage.SelfSigning);
        var usk = Signed(KeyUsage.UserSigning);
        return (DeviceSigningUpload.Build(master, ssk, usk), missing);
    }
}
