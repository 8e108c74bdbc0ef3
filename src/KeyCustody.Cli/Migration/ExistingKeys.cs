using KeyCustody.Cli.Provisioning;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// Before migrate changes anything, every key the daemon already holds for the identity (from an earlier run, or put
/// there otherwise) goes through provisioning's gate again, as a re-run of <c>provision</c> does: one the daemon knows as
/// rejected or whose attestation failed, or one whose attestation fails the operator's roots, stops the migration,
/// named. A key without attestation that no admin has accepted is accepted when it is exactly the key read from secret
/// storage (an earlier run imported it and stopped before the acceptance); any other needs --allow-unattested.
/// </summary>
internal static class ExistingKeys
{
    public static async Task<List<JsonObject>> RecheckAsync(
        AttestationGate gate, DaemonIdentity daemon, SecretStorageSecrets secrets, Func<KeyUsage, string> reason, CancellationToken ct)
    {
        var entries = new List<JsonObject>();
        var keys = new (KeyInfo? Key, string ShortName, KeyUsage Usage)[]
        {
            (daemon.Master, "master", KeyUsage.Master),
            (daemon.Backup, "master", KeyUsage.Master),
            (daemon.SelfSigning, "ssk", KeyUsage.SelfSigning),
            (daemon.UserSigning, "usk", KeyUsage.UserSigning),
        };
        foreach (var (key, shortName, usage) in keys)
        {
            if (key is not { PublicKey.Length: > 0 })
            {
                continue;
            }

            var fromSecretStorage = key.PublicKey == secrets.PublicKeys[usage].Base64 ? reason(usage) : null;
            entries.Add(await gate.RecheckExistingAsync(key, shortName, ct, fromSecretStorage));
        }

        return entries;
    }
}
