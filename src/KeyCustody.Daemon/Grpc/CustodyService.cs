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
        response.Keys.AddRange(keys.All.Where(k => access.Granted(caller, k.Name) != Operations.None).Select(k => Describe(k, access.Granted(caller, k.Name))));
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
        response.Keys.AddRange(mine.Select(k => Describe(k, access.Granted(caller, k.Name))));
        var (body, missing) = UploadBody(request.UserId, mine);
        if (body is not null)
        {
            response.DeviceSigningUpload = ByteString.CopyFrom(CanonicalJson.Encode(body));
        }

        response.Missing.AddRange(missing);
        return response;
    });

    public override Task SignJson(SignJsonRequest request, IServerStreamWriter<SignEvent> responseStream, ServerCallContext context) =>
        Sign(request.Key, [request.Json.Memory], SignOperation.SignJson, responseStream, context, null);

    public override Task SignJsonBatch(SignJsonBatchRequest request, IServerStreamWriter<SignEvent> responseStream, ServerCallContext context) =>
        Sign(request.Key, request.Json.Select(j => j.Memory).ToList(), SignOperation.SignJsonBatch, responseStream, context, null);

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
            using var writeLock = new SemaphoreSlim(1, 1);
            async Task Emit(SignEvent e)
            {
                await writeLock.WaitAsync(context.CancellationToken).ConfigureAwait(false);
                try
                {
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
            signed.SignedJson.AddRange(result.Signed.Select(s => ByteString.CopyFrom(CanonicalJson.Encode(s))));
            if (uploadBody is not null)
            {
                signed.SignaturesUpload = ByteString.CopyFrom(CanonicalJson.Encode(uploadBody(keys.Find(keyName)!, result.Signed[0])));
            }

            await Emit(new SignEvent { Signed = signed }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw StatusMapping.ToRpc(e, context);
        }
    }

    private (JsonObject? Body, List<string> Missing) UploadBody(string userId, List<KeyEntry> mine)
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
        CrossSigningKey? Signed(KeyRole role, KeyUsage usage)
        {
            var entry = mine.FirstOrDefault(k => k.Settings.Role == role && k.Settings.BackupOf is null);
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

        var ssk = Signed(KeyRole.SelfSigning, KeyUsage.SelfSigning);
        var usk = Signed(KeyRole.UserSigning, KeyUsage.UserSigning);
        return (DeviceSigningUpload.Build(master, ssk, usk), missing);
    }

    internal static KeyInfo Describe(KeyEntry k, Operations granted)
    {
        var info = new KeyInfo
        {
            Name = k.Name,
            Role = k.Settings.Role.ToConfigName(),
            Owner = k.Settings.Owner,
            PublicKey = k.PublicKey?.Base64 ?? string.Empty,
            KeyId = k.MatrixKeyName is { } n ? SignedJson.Ed25519Prefix + n : string.Empty,
            Token = k.Token.Name,
            TokenKind = k.Token.Kind,
            TokenSerial = k.Token.Serial,
            HardwareBacked = k.Token.IsHardwareBacked,
            Presence = k.PresenceKind.ToString().ToLowerInvariant(),
            PinPolicy = k.Info is null ? string.Empty : k.Info.PinPolicy.ToString().ToLowerInvariant(),
            TouchPolicy = k.Info is null ? string.Empty : k.Info.TouchPolicy.ToString().ToLowerInvariant(),
            Origin = k.Info is null ? string.Empty : k.Info.Origin.ToString().ToLowerInvariant(),
            BackupOf = k.Settings.BackupOf ?? string.Empty,
            Provenance = ProvenanceMessages.ToProto(k),
        };
        foreach (var op in new[] { (Operations.Sign, "sign"), (Operations.Approve, "approve"), (Operations.Admin, "admin") })
        {
            if ((granted & op.Item1) != 0)
            {
                info.Operations.Add(op.Item2);
            }
        }

        return info;
    }

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
