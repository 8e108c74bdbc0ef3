using KeyCustody.Daemon.Security;

namespace KeyCustody.Daemon.Presence;

/// <summary>An operator's approval an operation needs: listed as a <see cref="PendingApproval"/> from when it is asked for.</summary>
/// <param name="Requester">Who asked (never its own approver when the approver must differ).</param>
/// <param name="Key">The key the approval right is checked on.</param>
/// <param name="Intent">What the request will do, in words (escaped).</param>
/// <param name="PayloadSha256">The hashes of what will be signed.</param>
/// <param name="RequiredApprover">The one approver the key requires (four eyes), if any.</param>
/// <param name="Timeout">How long an operator has.</param>
public sealed record ApprovalRequest(Principal Requester, string Key, string Intent, IReadOnlyList<string> PayloadSha256, string? RequiredApprover, TimeSpan Timeout);
