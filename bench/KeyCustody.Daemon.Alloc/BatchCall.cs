using Google.Protobuf;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Signing;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;

namespace KeyCustody.Daemon.Alloc;

/// <summary>
/// One SignJsonBatch call as CustodyService.Sign makes it, without the HTTP/2 transport: the request message parsed from
/// its bytes (as Grpc.AspNetCore's deserializer does), the pipeline, ACCEPTED and SIGNED built and serialized (into one
/// buffer of this harness, as gRPC writes them into its pooled pipe), and the wait for the outcome record.
/// </summary>
internal sealed class BatchCall(AllocWorld world, byte[] message)
{
    private static readonly Principal Caller = Principal.FromPeer(1000, 1000, 1000);

    private readonly byte[] _wire = new byte[4 << 20];

    public int Objects { get; } = SignJsonBatchRequest.Parser.ParseFrom(message).Json.Count;

    /// <summary>The call; returns how many objects were signed.</summary>
    public async Task<int> RunAsync()
    {
        var request = SignJsonBatchRequest.Parser.ParseFrom(message);
        var payloads = new List<ReadOnlyMemory<byte>>(request.Json.Count);
        foreach (var json in request.Json)
        {
            payloads.Add(json.Memory);
        }

        var result = await world.Pipeline.RunAsync(
            new SignRequest(Caller, request.Key, payloads, SignOperation.SignJsonBatch),
            e =>
            {
                if (e is Requests.Accepted a)
                {
                    Write(new SignEvent { Accepted = new Protos.V1.Accepted { RequestId = a.RequestId, Intent = a.Intent } });
                }

                return Task.CompletedTask;
            },
            CancellationToken.None).ConfigureAwait(false);
        var signed = new Signed { KeyId = result.KeyId, RequestId = result.RequestId };
        signed.SignedJson.Capacity = result.Signed.Count;
        foreach (var s in result.Signed)
        {
            signed.SignedJson.Add(UnsafeByteOperations.UnsafeWrap(CanonicalJson.Encode(s)));
        }
        Write(new SignEvent { Signed = signed });
        await result.Recorded.ConfigureAwait(false);
        return result.Signed.Count;
    }

    private void Write(SignEvent e)
    {
        var size = e.CalculateSize();
        e.WriteTo(_wire.AsSpan(0, size));
    }
}
