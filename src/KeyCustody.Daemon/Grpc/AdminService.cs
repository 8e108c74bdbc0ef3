using KeyCustody.Contract.Audit;
using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.KeyAdmin;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Grpc;

/// <summary>The operators' API: approvals, status, key generation, attestation, audit tail.</summary>
internal sealed class AdminService(
    ApprovalBroker approvals,
    IReadOnlyList<TokenHost> tokens,
    KeyRegistry keys,
    AccessRules access,
    AuditLog audit,
    KeyProvenanceBook provenance,
    KeyAdministration keyAdmin) : Admin.AdminBase
{
    public override Task<ListPendingResponse> ListPending(ListPendingRequest request, ServerCallContext context) => CustodyService.Run(context, () =>
    {
        var caller = Callers.Resolve(context);
        var response = new ListPendingResponse();
        foreach (var p in approvals.Pending.Where(p => access.Allows(caller, p.Key, Operations.Approve) || access.AllowsGlobal(caller, Operations.Admin)))
        {
            var pending = new PendingRequest
            {
                RequestId = p.RequestId,
                Principal = p.Requester.ToString(),
                Key = p.Key,
                Intent = p.Intent,
                Created = p.Created.ToUnixTimeSeconds(),
                Expires = p.Expires.ToUnixTimeSeconds(),
            };
            pending.PayloadSha256.AddRange(p.PayloadSha256);
            response.Pending.Add(pending);
        }

        return response;
    });

    public override Task<ApproveResponse> Approve(ApproveRequest request, ServerCallContext context) =>
        AuditedCalls.Run(audit, context, Call("approve", ("request_id", AuditedCalls.Quote(request.RequestId))), caller =>
        {
            approvals.Approve(request.RequestId, caller);
            return new ApproveResponse();
        });

    public override Task<DenyResponse> Deny(DenyRequest request, ServerCallContext context) =>
        AuditedCalls.Run(audit, context, Call("deny", ("request_id", AuditedCalls.Quote(request.RequestId))), caller =>
        {
            // The reason is shown to the requester and kept in the audit log: a person's sentence, not a payload.
            var reason = AuditedCalls.Quote(request.Reason);
            approvals.Deny(request.RequestId, caller, reason);
            audit.Append(JsonObject.Of(("kind", AuditKinds.Denial), ("request_id", request.RequestId), ("by", caller.ToString()), ("reason", reason)));
            return new DenyResponse();
        });

    public override Task<TokenStatusResponse> TokenStatus(TokenStatusRequest request, ServerCallContext context) => AuditedCalls.Run(audit, context, Call("token_status"), _ =>
    {
        RequireAdmin(context, "read token status");
        var response = new TokenStatusResponse();
        foreach (var host in tokens)
        {
            var (status, error) = host.Probe();
            var state = new TokenState
            {
                Name = host.Name,
                Kind = host.Kind,
                Present = status is not null,
                Serial = status?.Serial ?? host.Serial,
                Firmware = status?.Firmware?.ToString() ?? string.Empty,
                PinRetries = status?.PinRetriesLeft ?? -1,
                HardwareBacked = host.IsHardwareBacked,
                Description = status?.Description ?? string.Empty,
                Error = error ?? string.Empty,
            };
            if (status?.AdminPinRetriesLeft is { } adminRetries)
            {
                state.AdminPinRetries = adminRetries;
            }

            if (status?.SignatureCounter is { } counter)
            {
                state.SignatureCounter = counter;
            }

            response.Tokens.Add(state);
        }

        return response;
    });

    public override async Task<GenerateKeyResponse> GenerateKey(GenerateKeyRequest request, ServerCallContext context)
    {
        try
        {
            var caller = Callers.Resolve(context);
            var wanted = new NewKeyRequest(caller, request.Key, request.Token, request.KeyId, request.PinPolicy, request.TouchPolicy, request.Overwrite);
            return Response(await keyAdmin.GenerateAsync(wanted, context.CancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw StatusMapping.ToRpc(e, context);
        }
    }

    public override async Task<GenerateKeyResponse> ImportKey(ImportKeyRequest request, ServerCallContext context)
    {
        try
        {
            var caller = Callers.Resolve(context);
            using var seed = Secret.Copy(request.Seed.Span);

            // The request's own copy is wiped at once; gRPC's transport buffers are out of reach (see admin.proto).
            System.Runtime.InteropServices.MemoryMarshal.AsMemory(request.Seed.Memory).Span.Clear();
            var wanted = new NewKeyRequest(caller, request.Key, string.Empty, string.Empty, request.PinPolicy, request.TouchPolicy, request.Overwrite);
            return Response(await keyAdmin.ImportAsync(wanted, seed, context.CancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw StatusMapping.ToRpc(e, context);
        }
    }

    private static GenerateKeyResponse Response(NewKey created)
    {
        var response = new GenerateKeyResponse
        {
            PublicKey = UnpaddedBase64.Encode(created.Key.PublicKey),
            PinPolicy = created.Key.PinPolicy.ToString().ToLowerInvariant(),
            TouchPolicy = created.Key.TouchPolicy.ToString().ToLowerInvariant(),
        };
        if (created.Configured.Count > 0)
        {
            response.Provenance = ProvenanceMessages.ToProto(created.Configured[0]);
        }

        return response;
    }

    public override Task<AttestResponse> Attest(AttestRequest request, ServerCallContext context) => AuditedCalls.Run(audit, context, Call("attest"), _ =>
    {
        RequireAdmin(context, "read attestations");
        TokenHost host;
        string keyId;
        if (request.Key.Length > 0)
        {
            var key = keys.Find(request.Key) ?? throw DaemonErrors.UnknownKey(request.Key);
            (host, keyId) = (key.Token, key.Settings.KeyId);
        }
        else
        {
            host = tokens.FirstOrDefault(t => t.Name == request.Token) ?? throw new DaemonException(DaemonErrorKind.NotFound, $"no token named '{request.Token}'");
            keyId = request.KeyId;
        }

        var attestation = host.Read(token => token.Attest(keyId));
        var response = new AttestResponse { Certificate = ByteString.CopyFrom(attestation.Certificate) };
        response.Intermediates.AddRange(attestation.Intermediates.Select(ByteString.CopyFrom));
        return response;
    });

    public override Task<AuditTailResponse> AuditTail(AuditTailRequest request, ServerCallContext context) => AuditedCalls.Run(audit, context, Call("audit_tail"), async _ =>
    {
        RequireAdmin(context, "read the audit log");
        var response = new AuditTailResponse();
        // Each record is a fresh array no one else holds: wrapped, not copied (a tail's answer is up to 64 MiB).
        response.Records.AddRange((await audit.TailAsync(Math.Clamp(request.Count, 1, 10_000), context.CancellationToken).ConfigureAwait(false)).Select(r => UnsafeByteOperations.UnsafeWrap(r)));
        return response;
    });

    public override Task<KeyDecisionResponse> AcceptKey(KeyDecisionRequest request, ServerCallContext context) =>
        AuditedCalls.Run(audit, context, DecisionCall("accept_key", request), caller => DecideKey(request, caller, accept: true));

    public override Task<KeyDecisionResponse> RejectKey(KeyDecisionRequest request, ServerCallContext context) =>
        AuditedCalls.Run(audit, context, DecisionCall("reject_key", request), caller => DecideKey(request, caller, accept: false));

    // The admin's reason is "admin_reason" here: a refusal's record gives its own "reason" (why it was refused).
    private static JsonObject DecisionCall(string operation, KeyDecisionRequest request) =>
        Call(operation, ("key", AuditedCalls.Quote(request.Key)), ("public_key", AuditedCalls.Quote(request.PublicKey)), ("admin_reason", AuditedCalls.Quote(request.Reason)));

    /// <summary>
    /// An admin's acceptance or rejection of one public key of a configured key. Every refusal (no admin right, an
    /// unknown key, no reason, a key that cannot take this decision) is thrown and audited by <see cref="AuditedCalls"/>.
    /// </summary>
    private KeyDecisionResponse DecideKey(KeyDecisionRequest request, Principal caller, bool accept)
    {
        RequireAdmin(caller, accept ? "accept keys" : "reject keys");
        var key = keys.Find(request.Key) ?? throw DaemonErrors.UnknownKey(request.Key);
        if (request.Reason.Trim().Length == 0)
        {
            throw DaemonErrors.InvalidArgument("give a reason: it is recorded with the decision");
        }

        if (!Matrix.Signing.Ed25519PublicKey.TryFromBase64(request.PublicKey, out var publicKey, out var error))
        {
            throw DaemonErrors.InvalidArgument("public_key: " + error);
        }

        if ((accept ? provenance.WhyNotAcceptable(key, publicKey!) : WhyNotRejectable(key, publicKey!)) is { } why)
        {
            throw DaemonErrors.KeyDecisionRefused(key.Name, accept ? "accepted" : "rejected", why);
        }

        audit.Append(JsonObject.Of(("kind", AuditKinds.AdminIntent), ("operation", accept ? "accept_key" : "reject_key"), ("principal", caller.ToString()),
            ("key", key.Name), ("public_key", request.PublicKey), ("reason", request.Reason)));
        if (accept)
        {
            provenance.Accept(key, caller.ToString(), request.Reason);
        }
        else
        {
            provenance.Reject(key, caller.ToString(), request.Reason);
        }

        return new KeyDecisionResponse { Provenance = ProvenanceMessages.ToProto(key) };
    }

    private static string? WhyNotRejectable(KeyEntry key, Matrix.Signing.Ed25519PublicKey publicKey) =>
        publicKey.Equals(key.PublicKey) ? null : $"'{key.Name}' has the public key {key.PublicKey?.Base64 ?? "(not known yet)"}, not {publicKey.Base64}; nothing was changed";

    private Principal RequireAdmin(ServerCallContext context, string what) => RequireAdmin(Callers.Resolve(context), what);

    private Principal RequireAdmin(Principal caller, string what)
    {
        if (!access.AllowsGlobal(caller, Operations.Admin))
        {
            throw DaemonErrors.DeniedAdmin(caller.ToString(), what);
        }

        return caller;
    }

    private static JsonObject Call(string operation, params (string Name, JsonValue Value)[] details) =>
        details.Aggregate(JsonObject.Of(("operation", operation)), (o, d) => o.With(d.Name, d.Value));
}
