using KeyCustody.Cli.Provisioning;
using KeyCustody.Matrix.CrossSigning;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// How <c>keycustody migrate</c> goes through provisioning's attestation gate: what it says when it stops, the way out
/// for a key it cannot build on, and the reason it gives the daemon for accepting a key read from secret storage.
/// Such a key is accepted, not attested: a card attests only keys it generated, and this one was made in software by
/// another client; what migrate vouches for is that the token holds exactly the key the person unlocked in secret
/// storage and the homeserver publishes for them.
/// </summary>
internal static class MigrationCeremony
{
    public static GateCeremony For(MigrationRequest request) => new(
        "keycustody migrate",
        "migration stopped",
        "Nothing was imported, generated, signed or published, and secret storage is untouched",
        "nothing was signed or published with it, and secret storage is untouched",
        (key, shortName) => shortName switch
        {
            "master" => "migrate never replaces a master key (it is the identity): find out who rejected it and why (`keycustody keys list`, the audit log)",
            _ => $"replace it (keycustody keys generate --key {key.Name} --overwrite --pin-policy {Policies(request, shortName).Pin} --touch-policy {Policies(request, shortName).Touch}) and run migrate again",
        });

    /// <summary>The reason recorded (and audited) with the daemon's acceptance of a key from secret storage.</summary>
    public static string Reason(string userId, KeyUsage usage, Uri homeserver, string secretStorageKeyId) =>
        $"keycustody migrate: the {usage.Describe()} of {userId}, read from secret storage on {homeserver} (secret storage key '{secretStorageKeyId}') " +
        $"and the one the homeserver publishes; imported, so not attested (a card attests only keys it generated)";

    private static KeyPolicies Policies(MigrationRequest request, string shortName) => shortName == "ssk" ? request.SelfSigning : request.UserSigning;
}
