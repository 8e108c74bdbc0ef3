using System.Diagnostics;
using System.Security.Cryptography;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Metrics;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Signing.Stages;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Daemon.Signing;

/// <summary>
/// One signing request end to end (architecture.md "A signing request, end to end"), stage by stage: admission (access
/// rule, key, role), the payloads read strictly, the key usable and trusted, the role's policy, who must confirm; then
/// the stages every token operation shares (<see cref="OperationStages"/>: intent on disk, operator, the token's queue,
/// the token, outcome). A refusal before the intent is a decision record. Events go to the caller as they happen.
/// </summary>
public sealed class SigningPipeline(
    KeyRegistry keys,
    AccessRules access,
    OperationStages stages,
    IdentityStore identities,
    ValidatedConfig config,
    ILogger<SigningPipeline> log,
    DaemonMetrics? metrics = null)
{
    /// <summary>The request, counted by its result (<see cref="RequestResults"/>) and timed, whatever the result.</summary>
    public async Task<SignResult> RunAsync(SignRequest request, Func<RequestEvent, Task> emit, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await RunStagesAsync(request, emit, cancellation).ConfigureAwait(false);
            metrics?.RequestEnded(request.KeyName, request.OperationName, RequestResults.Signed, started);
            return result;
        }
        catch (Exception e)
        {
            metrics?.RequestEnded(request.KeyName, request.OperationName, RequestResults.Of(e), started);
            throw;
        }
    }

    private async Task<SignResult> RunStagesAsync(SignRequest request, Func<RequestEvent, Task> emit, CancellationToken cancellation)
    {
        var requestId = "r-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var record = JsonObject.Of(("request_id", requestId), ("principal", request.Caller.ToString()), ("key", Admission.Shown(request.KeyName)), ("operation", request.OperationName));
        AdmittedSignature admitted;
        var policyLogged = false;
        try
        {
            var key = Admission.Admit(request, access, keys);
            record = record.With("role", key.Settings.Role.ToConfigName());
            var objects = PayloadReader.Read(request, config.Limits);
            Admission.CheckOperationFitsRole(request, key);
            var publicKey = Admission.RequireUsable(key, keys);
            var plan = PolicyStage.Evaluate(request, key, publicKey, keys.IdentityOf(key.Settings.Owner), objects, d =>
            {
                policyLogged = true;
                SignLog.PolicyDenied(log, request.Caller.ToString(), key.Name, requestId, d.Rule, d.Kind);
            });
            var presence = PresenceStage.Plan(request, key, plan, config.Presence);
            record = record.With("payload_sha256", plan.Hashes).With("intent", plan.Intent).With("presence", presence.Recorded);
            admitted = new AdmittedSignature(requestId, request, key, publicKey, plan, presence, record);
        }
        catch (Refusal refusal)
        {
            LogRefusal(refusal, request, requestId, policyLogged);
            throw await stages.RefuseAsync(record, refusal).ConfigureAwait(false);
        }

        await AcceptAsync(admitted, emit).ConfigureAwait(false);
        var (signed, recorded) = await SignAsync(admitted, emit, cancellation).ConfigureAwait(false);
        if (log.IsEnabled(LogLevel.Information))
        {
            var (who, hashes) = (request.Caller.ToString(), Hashes(admitted));
            SignLog.Signed(log, who, admitted.Key.Name, requestId, hashes);
        }

        if (admitted.Key.Settings.Role == KeyRole.Master)
        {
            identities.RememberSigned(admitted.Key.Settings.Owner, signed, keys.IdentityOf(admitted.Key.Settings.Owner));
        }

        return new SignResult(requestId, SignedJson.Ed25519Prefix + admitted.Key.Settings.MatrixKeyName(admitted.PublicKey), signed) { Recorded = recorded };
    }

    /// <summary>ACCEPTED to the caller; a caller gone before it (the only end of an admitted request with no intent) is one log line.</summary>
    private async Task AcceptAsync(AdmittedSignature admitted, Func<RequestEvent, Task> emit)
    {
        try
        {
            await emit(new Accepted(admitted.RequestId, admitted.Plan.Intent)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            SignLog.Abandoned(log, admitted.Request.Caller.ToString(), admitted.Key.Name, admitted.RequestId, RequestResults.Of(e));
            throw;
        }
    }

    /// <summary>The shared stages with this request's work; the intent and a failure go to the daemon's log too.</summary>
    private async Task<Completed<List<JsonObject>>> SignAsync(AdmittedSignature admitted, Func<RequestEvent, Task> emit, CancellationToken cancellation)
    {
        try
        {
            return await stages.RunAsync(new SignatureWork(admitted, keys, emit), e =>
            {
                if (e is IntentRecorded && log.IsEnabled(LogLevel.Debug))
                {
                    var (who, hashes) = (admitted.Request.Caller.ToString(), Hashes(admitted));
                    SignLog.IntentRecorded(log, who, admitted.Key.Name, admitted.RequestId, hashes);
                }

                return emit(e);
            }, cancellation).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var what = SignatureWork.Failure(e).What;
            var (who, hashes) = (admitted.Request.Caller.ToString(), Hashes(admitted));
            SignLog.Failed(log, who, admitted.Key.Name, admitted.RequestId, what, RequestResults.Of(e), hashes);
            throw;
        }
    }

    /// <summary>The payloads' SHA-256 for the log line: all of them up to <see cref="LoggedHashes"/>, then how many more (the audit log has every one).</summary>
    private static string Hashes(AdmittedSignature admitted)
    {
        var all = admitted.Plan.Hashes;
        var shown = string.Join(",", all.Take(LoggedHashes).Select(h => ((JsonString)h).Value));
        return all.Count <= LoggedHashes ? shown : $"{shown} and {all.Count - LoggedHashes} more (the audit log's intent lists all)";
    }

    private const int LoggedHashes = 8;

    /// <summary>Every refusal before the intent is one log line with its {Result} (the policy stage logs its own, by rule).</summary>
    private void LogRefusal(Refusal refusal, SignRequest request, string requestId, bool policyLogged)
    {
        if (refusal.Decision == Contract.Audit.AuditDecisions.PermissionDenied)
        {
            SignLog.Denied(log, request.Caller.ToString(), Admission.Shown(request.KeyName), requestId);
        }
        else if (refusal.Decision == Contract.Audit.AuditDecisions.KeyNotTrusted)
        {
            SignLog.NotTrusted(log, request.Caller.ToString(), request.KeyName, requestId);
        }
        else if (!policyLogged)
        {
            SignLog.Refused(log, request.Caller.ToString(), Admission.Shown(request.KeyName), requestId, refusal.Decision, RequestResults.Of(refusal.Error));
        }
    }
}
