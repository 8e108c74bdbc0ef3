using Google.Protobuf;
using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Signing;
using KeyCustody.Daemon.Signing.Stages;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Alloc;

/// <summary>
/// The batch path's steps one at a time over the same objects, each measured alone (its inputs made before it), so the
/// whole call's bytes can be told apart: which step allocates how much per object.
/// </summary>
internal sealed class Steps(AllocWorld world, byte[] message)
{
    private static readonly Principal Caller = Principal.FromPeer(1000, 1000, 1000);

    /// <summary>Each step's name and its bytes for the whole batch.</summary>
    public List<(string Step, long Bytes)> Measure()
    {
        var results = new List<(string, long)>();
        void Step(string name, Action action) => results.Add((name, Allocated(action)));

        SignJsonBatchRequest request = null!;
        Step("request message parsed (protobuf, a ByteString per object)", () => request = SignJsonBatchRequest.Parser.ParseFrom(message));
        var signRequest = new SignRequest(Caller, request.Key, request.Json.Select(j => j.Memory).ToList(), SignOperation.SignJsonBatch);
        List<JsonObject> objects = null!;
        Step("payloads read (CanonicalJson.ParseObject)", () => objects = PayloadReader.Read(signRequest, world.Config.Limits));

        // The parsed objects cache the strings a step reads out of them: each policy step gets objects of its own.
        List<JsonObject> Fresh() => PayloadReader.Read(signRequest, world.Config.Limits);
        var key = world.Keys.Find(AllocWorld.KeyName)!;
        var publicKey = key.PublicKey!;
        var known = world.Keys.IdentityOf(key.Settings.Owner);
        var fresh = Fresh();
        Step("  of the policy stage: SigningPolicy.Evaluate alone", () =>
        {
            foreach (var o in fresh)
            {
                _ = SigningPolicy.Evaluate(key.Settings.Role, key.Settings.Owner, publicKey, known, o);
            }
        });
        fresh = Fresh();
        Step("  of the policy stage: SignedJson.SigningBytes alone", () =>
        {
            foreach (var o in fresh)
            {
                _ = SignedJson.SigningBytes(o, key.Settings.Owner);
            }
        });
        var bytes = Fresh().Select(o => SignedJson.SigningBytes(o, key.Settings.Owner)).ToList();
        Step("  of the policy stage: payload hashes alone (PolicyStage.Hashes)", () => PolicyStage.Hashes(bytes));
        SigningPlan plan = null!;
        Step("policy stage (PolicyStage.Evaluate: policy, signing bytes, hashes, intent)", () => plan = PolicyStage.Evaluate(signRequest, key, publicKey, known, objects, _ => { }));

        var record = JsonObject.Of(("request_id", "r-0123456789abcdef"), ("principal", Caller.ToString()), ("key", key.Name), ("operation", signRequest.OperationName), ("role", "self_signing"))
            .With("payload_sha256", plan.Hashes).With("intent", plan.Intent).With("presence", "none");
        Step("intent record: the record object (With kind, decision)", () => _ = record.With("kind", AuditKinds.Intent).With("decision", AuditDecisions.Allowed));
        var intent = record.With("kind", AuditKinds.Intent).With("decision", AuditDecisions.Allowed);
        Step("intent record: AuditChain.Seal alone", () => _ = AuditChain.Seal(intent, 1, AuditChain.Genesis));
        Step("intent record: AuditLog.AppendAsync (stamp, seal, buffer, write, fsync)", () => world.Audit.AppendAsync(intent).GetAwaiter().GetResult());

        var signatures = new List<byte[]>(objects.Count);
        Step("token: sign and verify against the pinned key (software token, one turn)", () => world.Token.UseAsync(
            async t =>
            {
                for (var i = 0; i < objects.Count; i++)
                {
                    signatures.Add(await t.SignAsync(key.Settings.KeyId, plan.SigningBytes[i], TokenInteraction.None, publicKey.Memory, default).ConfigureAwait(false));
                }

                return 0;
            },
            null,
            default).GetAwaiter().GetResult());

        var signed = new List<JsonObject>(objects.Count);
        Step("signature merged (SignedJson.AddSignature)", () =>
        {
            for (var i = 0; i < objects.Count; i++)
            {
                signed.Add(SignedJson.AddSignature(objects[i], key.Settings.Owner, key.Settings.MatrixKeyName(publicKey), signatures[i]));
            }
        });

        var outcome = record.With("kind", AuditKinds.Outcome).With("outcome", AuditOutcomes.Signed).With("touches", 0).With("latency_ms", 100);
        Step("outcome record: AuditLog.AppendAsync", () => world.Audit.AppendAsync(outcome).GetAwaiter().GetResult());

        Step("reply: each signed object encoded (CanonicalJson.Encode)", () =>
        {
            foreach (var s in signed)
            {
                _ = CanonicalJson.Encode(s);
            }
        });
        var encoded = signed.Select(s => UnsafeByteOperations.UnsafeWrap(CanonicalJson.Encode(s))).ToList();
        var wire = new byte[4 << 20];
        Step("reply: SIGNED message built and serialized", () =>
        {
            var reply = new Signed { KeyId = "ed25519:" + publicKey.Base64, RequestId = "r-0123456789abcdef" };
            reply.SignedJson.AddRange(encoded);
            var e = new SignEvent { Signed = reply };
            e.WriteTo(wire.AsSpan(0, e.CalculateSize()));
        });
        Step("ACCEPTED message (intent text) built and serialized", () =>
        {
            var e = new SignEvent { Accepted = new Protos.V1.Accepted { RequestId = "r-0123456789abcdef", Intent = plan.Intent } };
            e.WriteTo(wire.AsSpan(0, e.CalculateSize()));
        });
        return results;
    }

    public static long Allocated(Action action)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        action();
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }
}
