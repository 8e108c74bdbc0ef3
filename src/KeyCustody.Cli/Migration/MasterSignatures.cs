using Google.Protobuf;
using KeyCustody.Client;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Migration;

/// <summary>The (now hardware) master key signs the self-signing and user-signing key objects; the daemon remembers them for its upload body.</summary>
internal static class MasterSignatures
{
    public static async Task<CrossSigningKey> SignAsync(KeyCustodyClient client, string masterKeyName, Ed25519PublicKey masterKey, string userId, KeyUsage usage, Ed25519PublicKey key, CancellationToken ct)
    {
        var obj = CrossSigningKey.Create(userId, usage, key).Json;
        var signed = await KeyCustodyClient.FollowAsync(
            client.Custody.SignJson(new SignJsonRequest { Key = masterKeyName, Json = ByteString.CopyFrom(CanonicalJson.Encode(obj)) }, cancellationToken: ct),
            Progress.Show,
            ct);
        var result = CrossSigningKey.Parse(CanonicalJson.ParseObject(signed.SignedJson[0].Span), usage);
        var check = result.VerifySignedBy(userId, masterKey);
        return check.IsValid
            ? result
            : throw new MigrationException(ExitCodes.Failed, $"the master key's signature on the {usage.Describe()} does not verify: {check.Reason}");
    }
}
