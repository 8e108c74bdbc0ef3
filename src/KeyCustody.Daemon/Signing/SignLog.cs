using KeyCustody.Matrix.Policy;

namespace KeyCustody.Daemon.Signing;

/// <summary>
/// The signing request's log lines (payloads never: their SHA-256 at most; a policy refusal by its rule, never the ids it quotes).
/// Every request that ends is one line with a {Result} from <see cref="RequestResults"/> (journalctl KEYCUSTODY_RESULT=...).
/// A request that reached its intent says who asked and the payloads' SHA-256 in that one line (the audit log has the
/// intent itself): one line per request, not two, since each line is a write to the journal on the signing path.
/// </summary>
internal static partial class SignLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Sign request {RequestId} by {Principal} with key {Key}: intent recorded, payload SHA-256 {PayloadSha256}")]
    public static partial void IntentRecorded(ILogger log, string principal, string key, string requestId, string payloadSha256);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Sign request {RequestId}: {Principal} has no sign right on key {Key} ({Result})")]
    public static partial void Denied(ILogger log, string principal, string key, string requestId, string result = RequestResults.RefusedRule);

    // The rule, not the reason: the reason quotes the payload (user and device ids), which stays out of the log.
    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Sign request {RequestId} by {Principal} with key {Key} refused by policy: rule {Rule} ({PayloadKind}); the caller was told why ({Result})")]
    public static partial void PolicyDenied(ILogger log, string principal, string key, string requestId, string rule, PayloadKind payloadKind, string result = RequestResults.RefusedPolicy);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Sign request {RequestId} by {Principal} with key {Key} failed: {Outcome} ({Result}); payload SHA-256 {PayloadSha256}")]
    public static partial void Failed(ILogger log, string principal, string key, string requestId, string outcome, string result, string payloadSha256);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Sign request {RequestId} by {Principal} with key {Key}: {Result}, payload SHA-256 {PayloadSha256}")]
    public static partial void Signed(ILogger log, string principal, string key, string requestId, string payloadSha256, string result = RequestResults.Signed);

    // Admitted, and its caller gone before it heard so: no intent, nothing signed, and no audit record (docs/architecture.md,
    // "A signing request, end to end", step 8 says why), so this line is where an operator sees the request at all.
    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Sign request {RequestId} by {Principal} with key {Key} abandoned: ACCEPTED could not be delivered, nothing was recorded or signed ({Result})")]
    public static partial void Abandoned(ILogger log, string principal, string key, string requestId, string result);

    // The decision word, not the reason: a reason can quote the payload (bad JSON, a role's object) or the caller's text.
    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Sign request {RequestId} by {Principal} with key {Key} refused: {Decision} ({Result})")]
    public static partial void Refused(ILogger log, string principal, string key, string requestId, string decision, string result);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Sign request {RequestId} by {Principal} with key {Key} refused: the key is neither attested nor accepted by an admin, or was rejected (keycustody keys list says which) ({Result})")]
    public static partial void NotTrusted(ILogger log, string principal, string key, string requestId, string result = RequestResults.RefusedUntrusted);
}
