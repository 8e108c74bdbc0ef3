using Google.Protobuf;
using KeyCustody.Cli.Publishing;
using KeyCustody.Client;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// The new self-signing key signs the devices the old one had signed, the new user-signing key the master keys of the
/// users the old one had signed (each set in batches, one touch per batch), and the signatures go to
/// <c>/keys/signatures/upload</c>. Any refusal in the homeserver's <c>failures</c> stops the migration, named.
/// </summary>
internal static class Resign
{
    private const int Batch = 100;

    public static async Task<List<SignatureResult>> RunAsync(
        KeyCustodyClient client, Homeserver homeserver, string userId, ResignPlan plan, (string Name, Ed25519PublicKey Key) ssk, (string Name, Ed25519PublicKey Key) usk, CancellationToken ct)
    {
        var upload = new SignaturesUpload(userId);
        foreach (var signed in await SignAllAsync(client, ssk.Name, plan.Devices, ct))
        {
            upload.AddOwnDevice(signed, ssk.Key);
        }

        foreach (var signed in await SignAllAsync(client, usk.Name, plan.Contacts, ct))
        {
            upload.AddOtherUserMasterKey(signed, usk.Key);
        }

        if (upload.Count == 0)
        {
            return [];
        }

        var body = upload.Build();
        var response = await homeserver.PostAsync(SignaturesPublisher.Endpoint, CanonicalJson.Encode(body), ct);
        if (response.Status != 200)
        {
            throw response.Refusal("the homeserver refused the signature upload");
        }

        var results = SignatureResults.Read(body, response.Body);
        var refused = results.Where(r => !r.Accepted).ToList();
        if (refused.Count > 0)
        {
            throw new MigrationException(ExitCodes.No, $"the homeserver refused {refused.Count} of {results.Count} new signatures ({string.Join("; ", refused.Select(r => r.Describe()))}); " +
                "the new keys are published and the master key is on its tokens; sign the rest with keycustody cross-sign device|user --upload");
        }

        return results;
    }

    private static async Task<List<JsonObject>> SignAllAsync(KeyCustodyClient client, string keyName, IReadOnlyList<JsonObject> objects, CancellationToken ct)
    {
        var signed = new List<JsonObject>();
        foreach (var chunk in objects.Chunk(Batch))
        {
            var request = new SignJsonBatchRequest { Key = keyName };
            request.Json.AddRange(chunk.Select(o => ByteString.CopyFrom(CanonicalJson.Encode(o))));
            var result = await KeyCustodyClient.FollowAsync(client.Custody.SignJsonBatch(request, cancellationToken: ct), Progress.Show, ct);
            signed.AddRange(result.SignedJson.Select(s => CanonicalJson.ParseObject(s.Span)));
        }

        return signed;
    }
}
