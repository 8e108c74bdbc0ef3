using KeyCustody.Matrix.Signing;
using KeyCustody.Matrix.Trust;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// After the migration, what the homeserver publishes is checked against what was meant: the same master key, the
/// daemon's self-signing and user-signing keys, and (by the MSC1756 trust rule, as the user trusting their master key)
/// every device that was trusted before still trusted, the user's own and their verified contacts' alike.
/// </summary>
internal static class MigrationCheck
{
    /// <summary>What does not hold, in words; empty when all is as meant.</summary>
    public static List<string> Problems(PublishedIdentity before, PublishedIdentity after, Ed25519PublicKey master, Ed25519PublicKey ssk, Ed25519PublicKey usk)
    {
        var problems = new List<string>();
        if (!after.Master.PublicKey.Equals(master))
        {
            problems.Add($"the published master key is {after.Master.PublicKey.Base64}, not {master.Base64}");
        }

        if (after.SelfSigning?.PublicKey.Equals(ssk) != true)
        {
            problems.Add($"the published self-signing key is {after.SelfSigning?.PublicKey.Base64 ?? "missing"}, not the daemon's {ssk.Base64}");
        }

        if (after.UserSigning?.PublicKey.Equals(usk) != true)
        {
            problems.Add($"the published user-signing key is {after.UserSigning?.PublicKey.Base64 ?? "missing"}, not the daemon's {usk.Base64}");
        }

        var now = TrustEvaluator.Evaluate(after.Response, after.UserId, master).ToDictionary(d => (d.UserId, d.DeviceId));
        foreach (var was in TrustEvaluator.Evaluate(before.Response, before.UserId, master).Where(d => d.Trusted))
        {
            if (!now.TryGetValue((was.UserId, was.DeviceId), out var verdict))
            {
                problems.Add($"device {was.DeviceId} of {was.UserId} was trusted before and is no longer published");
            }
            else if (!verdict.Trusted)
            {
                problems.Add($"device {was.DeviceId} of {was.UserId} was trusted before and is not now: {verdict.Failure!.Message}");
            }
        }

        return problems;
    }

    /// <summary>How many devices are trusted, as the user sees them.</summary>
    public static int TrustedDevices(PublishedIdentity published, Ed25519PublicKey master) =>
        TrustEvaluator.Evaluate(published.Response, published.UserId, master).Count(d => d.Trusted);
}
