using System.Diagnostics;
using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Metrics;
using KeyCustody.Daemon.Presence;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Requests;

/// <summary>
/// The stages every token operation goes through once admitted (a signature, a key generation, an import): its intent on
/// disk, an operator's approval when it needs one, a turn on its token and the work there, and exactly one outcome record.
/// Nothing reaches the token before the intent is on disk: if it cannot be written, nothing is done. A refusal before the
/// intent is recorded as a decision (<see cref="RefuseAsync"/>).
/// </summary>
public sealed class OperationStages(AuditLog audit, ApprovalBroker approvals, TimeProvider time, DaemonMetrics? metrics = null)
{
    /// <summary>Records <paramref name="refusal"/> (with <paramref name="record"/>: who asked for what) and returns what the caller is told.</summary>
    public async Task<DaemonException> RefuseAsync(JsonObject record, Refusal refusal)
    {
        await audit.AppendAsync(refusal.Record(record)).ConfigureAwait(false);
        return refusal.Error;
    }

    /// <summary>
    /// Intent, approval, token, outcome; <paramref name="emit"/> hears the intent recorded, the operator asked for, the
    /// queue. A success returns as soon as its outcome record has its place in the chain (<see cref="Completed{T}.Recorded"/>
    /// completes once it is on disk); a failure returns once its outcome is on disk.
    /// </summary>
    public async Task<Completed<T>> RunAsync<T>(TokenWork<T> work, Func<RequestEvent, Task> emit, CancellationToken cancellation)
    {
        await audit.AppendAsync(work.Intent).ConfigureAwait(false);
        await emit(new IntentRecorded(work.RequestId)).ConfigureAwait(false);
        var outcome = work.Outcome;
        try
        {
            if (work.Approval is { } approval)
            {
                var asked = Stopwatch.GetTimestamp();
                try
                {
                    outcome = outcome.With("approver", await ApproveAsync(work.RequestId, work.Token.Serial, approval, emit, cancellation).ConfigureAwait(false));
                }
                finally
                {
                    metrics?.StageTook(StageNames.Presence, Stopwatch.GetElapsedTime(asked));
                }
            }

            var queued = Stopwatch.GetTimestamp();
            var result = await work.Token.UseAsync(token => TimedAsync(work, token, queued, cancellation), position => emit(new Queued(position)), cancellation).ConfigureAwait(false);

            // Handed over, not waited for: the intent is on disk, and a stop before this record is (docs/architecture.md,
            // "The outcome record") is recorded at the next start as interrupted, outcome unknown. Unhurried: it is
            // written with the next intent (or within AuditLog.DefaultUnhurriedHold), so that intent does not wait behind it.
            return new Completed<T>(result, audit.AppendUnhurried(work.Succeeded(outcome, result)));
        }
        catch (Exception e)
        {
            try
            {
                await audit.AppendAsync(work.Failed(outcome, e)).ConfigureAwait(false);
            }
            catch (DaemonException)
            {
                // The audit log failed too: the original error is what the caller needs; the log refuses everything after.
            }

            throw;
        }
    }

    /// <summary>The work on the token, timed (a touch it waited for is presence, not token time); the queue's time ends here.</summary>
    private Task<T> TimedAsync<T>(TokenWork<T> work, KeyCustody.Tokens.ISigningToken token, long queued, CancellationToken cancellation) =>
        metrics is null ? work.RunAsync(token, cancellation) : metrics.TimeTokenWorkAsync(work, token, queued, cancellation);


    /// <summary>Waits for an operator (listed meanwhile); the approval is on disk before the token is asked. Returns the approver.</summary>
    private async Task<string> ApproveAsync(string requestId, string tokenSerial, ApprovalRequest approval, Func<RequestEvent, Task> emit, CancellationToken cancellation)
    {
        await emit(new PresenceRequired(requestId, PresenceMethod.Operator, tokenSerial, (int)approval.Timeout.TotalSeconds, approval.Intent)).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var pending = new PendingApproval(requestId, approval.Requester, approval.Key, approval.Intent, now, now + approval.Timeout, approval.PayloadSha256, approval.RequiredApprover);
        var approver = (await approvals.WaitAsync(pending, cancellation).ConfigureAwait(false)).ToString();
        await audit.AppendAsync(JsonObject.Of(("kind", AuditKinds.Approval), ("request_id", requestId), ("approver", approver))).ConfigureAwait(false);
        return approver;
    }
}

/// <summary>
/// An operation's result, and its outcome record's write: complete once the record is on disk, failed (AuditUnavailable)
/// if it could not be written; the log then refuses everything after.
/// </summary>
public sealed record Completed<T>(T Result, Task Recorded);
