using System.Collections.Concurrent;
using KeyCustody.Daemon.Security;

namespace KeyCustody.Daemon.Presence;

/// <summary>A request waiting for an operator.</summary>
public sealed record PendingApproval(
    string RequestId,
    Principal Requester,
    string Key,
    string Intent,
    DateTimeOffset Created,
    DateTimeOffset Expires,
    IReadOnlyList<string> PayloadSha256,
    string? RequiredApprover);

/// <summary>
/// Presence for tokens without a button (and four-eyes keys): the request waits here until a principal
/// with the approve right on the key approves or denies it, the timeout passes, or the caller goes away.
/// </summary>
public sealed class ApprovalBroker(AccessRules access, bool approverMustDiffer, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _pending = new(StringComparer.Ordinal);

    public IReadOnlyList<PendingApproval> Pending => _pending.Values.Select(e => e.Request).OrderBy(p => p.Created).ToList();

    /// <summary>Waits for the decision; the request is listed in <see cref="Pending"/> meanwhile. Returns the approver.</summary>
    public async Task<Principal> WaitAsync(PendingApproval request, CancellationToken cancellation)
    {
        var entry = new Entry(request);
        if (!_pending.TryAdd(request.RequestId, entry))
        {
            throw new InvalidOperationException("duplicate request id");
        }

        try
        {
            var timeout = request.Expires - time.GetUtcNow();
            // On the broker's clock (the tests move it), not the machine's.
            using var expiry = new CancellationTokenSource(timeout > TimeSpan.Zero ? timeout : TimeSpan.Zero, time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellation, expiry.Token);
            try
            {
                return await entry.Decision.Task.WaitAsync(either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw DaemonErrors.ApprovalTimeout(request.RequestId, request.Expires - request.Created);
            }
        }
        finally
        {
            _pending.TryRemove(request.RequestId, out _);
        }
    }

    /// <summary>
    /// After the access rules changed (a reload): every pending request whose requester may no longer sign with its key
    /// ends now, refused, so no approval can complete what the rules in force would not admit. Returns those requests.
    /// </summary>
    public IReadOnlyList<PendingApproval> CancelNoLongerAllowed()
    {
        var cancelled = new List<PendingApproval>();
        foreach (var entry in _pending.Values)
        {
            var request = entry.Request;
            if (!access.Allows(request.Requester, request.Key, Operations.Sign)
                && entry.Decision.TrySetException(DaemonErrors.ApprovalWithdrawn(request.RequestId, request.Requester.ToString(), request.Key)))
            {
                cancelled.Add(request);
            }
        }

        return cancelled;
    }

    public void Approve(string requestId, Principal approver) => Decide(requestId, approver, approve: true, reason: string.Empty);

    public void Deny(string requestId, Principal approver, string reason) => Decide(requestId, approver, approve: false, reason);

    private void Decide(string requestId, Principal approver, bool approve, string reason)
    {
        // The caller's right comes first: whether a request id exists is told only to those who may decide requests.
        if (!access.MayApproveSome(approver))
        {
            throw DaemonErrors.DeniedApprove(approver.ToString());
        }

        if (!_pending.TryGetValue(requestId, out var entry))
        {
            throw DaemonErrors.UnknownRequest(requestId);
        }

        var request = entry.Request;
        if (!access.Allows(approver, request.Key, Operations.Approve))
        {
            throw DaemonErrors.Denied(approver.ToString(), "approve requests", request.Key);
        }

        if (approve && approverMustDiffer && approver.SameIdentity(request.Requester))
        {
            throw new DaemonException(DaemonErrorKind.PermissionDenied, $"{approver} made request {requestId} (as {request.Requester}) and may not approve it too, whatever its group; another person must");
        }

        if (approve && request.RequiredApprover is { } required && approver.ToString() != required && !MatchesSelector(approver, required))
        {
            throw new DaemonException(DaemonErrorKind.PermissionDenied, $"request {requestId} must be approved by {required}");
        }

        if (approve)
        {
            entry.Decision.TrySetResult(approver);
        }
        else
        {
            entry.Decision.TrySetException(DaemonErrors.ApprovalDenied(requestId, approver.ToString(), reason));
        }
    }

    /// <summary>A required approver, as validated at start: uid:N, gid:N (primary or supplementary group) or cert:SUBJECT.</summary>
    private static bool MatchesSelector(Principal p, string selector) => selector switch
    {
        _ when selector.StartsWith("uid:", StringComparison.Ordinal) => p.Uid?.ToString(System.Globalization.CultureInfo.InvariantCulture) == selector[4..],
        _ when selector.StartsWith("gid:", StringComparison.Ordinal) => uint.TryParse(selector[4..], out var gid) && (p.Gid == gid || p.Groups.Contains(gid)),
        _ when selector.StartsWith("cert:", StringComparison.Ordinal) => p.CertificateSubject == selector[5..],
        _ => false,
    };

    private sealed class Entry(PendingApproval request)
    {
        public PendingApproval Request { get; } = request;

        public TaskCompletionSource<Principal> Decision { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
