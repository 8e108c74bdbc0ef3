using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Signing;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;

namespace KeyCustody.Daemon.Grpc;

/// <summary>The callers' API: thin, everything real happens in <see cref="SigningPipeline"/>.</summary>
internal sealed class CustodyService(SigningPipeline pipeline, KeyRegistry keys, AccessRules access, IdentityStore identities, AuditLog audit) : Custody.CustodyBase
{
    public override Task<ListKeysResponse> ListKeys(ListKeysRequest request, ServerCallContext context) => Run(context, () =>
    {
        var caller = Callers.Resolve(context);
        var response = new ListKeysResponse();
        response.Keys.AddRange(keys.All.Where(k => access.Granted(caller, k.Name) != Operations.None).Select(k => KeyMessages.Describe(k, access.Granted(caller, k.Name))));
        return response;
    });

    public override Task<GetPublicKeysResponse> GetPublicKeys(GetPublicKeysRequest request, ServerCallContext context) =>
        AuditedCalls.Run(audit, context, JsonObject.Of(("operation", "get_public_keys"), ("user_id", AuditedCalls.Quote(request.UserId))), caller =>
    {
        if (!access.Knows(caller))
        {
            throw DaemonErrors.DeniedAdmin(caller.ToString(), "read public keys");
        }

        var mine = keys.All.Where(k => k.Settings.Owner == request.UserId && k.Settings.Role != KeyRole.Server).ToList();
        if (mine.Count == 0)
        {
            throw new DaemonException(DaemonErrorKind.NotFound, $"no keys of {AuditedCalls.Quote(request.UserId)} are configured");
        }

        var response = new GetPublicKeysResponse();
        response.Keys.AddRange(mine.Select(k => KeyMessages.Describe(k, access.Granted(caller, k.Name))));
        var (body, missing) = PublishedIdentity.UploadBody(identities, request.UserId, mine);
        if (body is not null)
        {
            response.DeviceSigningUpload = ByteString.CopyFrom(CanonicalJson.Encode(body));
        }

        response.Missing.AddRange(missing);
        return response;
    });

    public override Task SignJson(SignJsonRequest request, IServerStreamWriter<SignEvent> responseStream, ServerCallContext context) =>
        Sign(request.Key, [request.Json.Memory], SignOperation.SignJson, responseStream, context, null);

    public override Task SignJsonBatch(SignJsonBatchRequest request, IServerStreamWriter<SignEvent> responseStream, ServerCallContext context)
    {
        var payloads = new List<ReadOnlyMemory<byte>>(request.Json.Count);
        foreach (var json in request.Json)
        {
            payloads.Add(json.Memory);
        }

        return Sign(request.Key, payloads, SignOperation.SignJsonBatch, responseStream, context, null);
    }

    public override Task CrossSignDevice(CrossSignDeviceRequest request, IServerStreamWriter<SignEvent> responseStream, ServerCallContext context) =>
        Sign(request.Key, [request.DeviceKeys.Memory], SignOperation.CrossSignDevice, responseStream, context, (key, signed) =>
            new SignaturesUpload(key.Settings.Owner).AddOwnDevice(signed, key.PublicKey!).Build());

    public override Task CrossSignUser(CrossSignUserRequest request, IServerStreamWriter<SignEvent> responseStream, ServerCallContext context) =>
        Sign(request.Key, [request.MasterKey.Memory], SignOperation.CrossSignUser, responseStream, context, (key, signed) =>
            new SignaturesUpload(key.Settings.Owner).AddOtherUserMasterKey(signed, key.PublicKey!).Build());

    public override Task<VerifyJsonResponse> VerifyJson(VerifyJsonRequest request, ServerCallContext context) =>
        AuditedCalls.Run(audit, context, JsonObject.Of(("operation", "verify_json")), caller =>
    {
        if (!access.Knows(caller))
        {
            throw DaemonErrors.DeniedAdmin(caller.ToString(), "verify");
        }

        Ed25519PublicKey publicKey;
        if (request.VerificationKeyCase == VerifyJsonRequest.VerificationKeyOneofCase.Key)
        {
            publicKey = keys.Find(request.Key)?.PublicKey ?? throw DaemonErrors.UnknownKey(request.Key);
        }
        else if (!Ed25519PublicKey.TryFromBase64(request.PublicKey, out publicKey!, out var error))
        {
            throw DaemonErrors.InvalidArgument("public_key: " + error);
        }

        JsonObject obj;
        try
        {
            obj = CanonicalJson.ParseObject(request.Json.Span);
        }
        catch (CanonicalJsonException e)
        {
            throw DaemonErrors.InvalidJson(-1, e.Message);
        }

        var check = SignedJson.Verify(obj, request.Entity, request.KeyId, publicKey);
        return new VerifyJsonResponse { Valid = check.IsValid, Status = SnakeCase(check.Status.ToString()), Reason = check.Reason };
    });

    private async Task Sign(
        string keyName,
        IReadOnlyList<ReadOnlyMemory<byte>> payloads,
        SignOperation operation,
        IServerStreamWriter<SignEvent> stream,
        ServerCallContext context,
        Func<KeyEntry, JsonObject, JsonObject>? uploadBody)
    {
        try
        {
            var caller = Callers.Resolve(context);
            var acceptedOptions = AnswersAtOnce(keyName) ? BufferedUntilNext : null;
            using var writeLock = new SemaphoreSlim(1, 1);
            async Task Emit(SignEvent e)
            {
                await writeLock.WaitAsync(context.CancellationToken).ConfigureAwait(false);
                try
                {
                    // On a token that answers at once, ACCEPTED waits in the response buffer for the next event (QUEUED,
                    // PRESENCE_REQUIRED, SIGNED) or the call's end: a request that waits for nobody costs one write to the
                    // socket, not two, and one that waits tells its caller at once (those events flush). On a card it goes
                    // at once: a card's work takes tens of milliseconds, and may need a touch the daemon believed cached.
                    stream.WriteOptions = e.EventCase == SignEvent.EventOneofCase.Accepted ? acceptedOptions : null;
                    await stream.WriteAsync(e, context.CancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    writeLock.Release();
                }
            }

            var result = await pipeline.RunAsync(
                new SignRequest(caller, keyName, payloads, operation),
                e => SignEvents.ToProto(e) is { } message ? Emit(message) : Task.CompletedTask,
                context.CancellationToken).ConfigureAwait(false);
            var signed = new Signed { KeyId = result.KeyId, RequestId = result.RequestId };
            // Each encoding is a fresh array no one else holds: wrapped, not copied a second time (a batch replies with 1,000).
            signed.SignedJson.Capacity = result.Signed.Count;
            foreach (var s in result.Signed)
            {
                signed.SignedJson.Add(UnsafeByteOperations.UnsafeWrap(CanonicalJson.Encode(s)));
            }
            if (uploadBody is not null)
            {
                signed.SignaturesUpload = ByteString.CopyFrom(CanonicalJson.Encode(uploadBody(keys.Find(keyName)!, result.Signed[0])));
            }

            await Emit(new SignEvent { Signed = signed }).ConfigureAwait(false);

            // The caller has its signatures; the call ends once their outcome record is on disk.
            await result.Recorded.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw StatusMapping.ToRpc(e, context);
        }
    }

    private static readonly WriteOptions BufferedUntilNext = new(WriteFlags.BufferHint);

    /// <summary>Whether the key's token answers without a person or a card's own time (software, PKCS#11): see ACCEPTED above.</summary>
    private bool AnswersAtOnce(string keyName) =>
        keys.Find(keyName)?.Token.Settings.Kind is Configuration.TokenKind.Software or Configuration.TokenKind.Pkcs11;

    internal static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    internal static async Task<T> Run<T>(ServerCallContext context, Func<T> body)
    {
        await Task.Yield();
        try
        {
            return body();
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw StatusMapping.ToRpc(e, context);
        }
    }
}
