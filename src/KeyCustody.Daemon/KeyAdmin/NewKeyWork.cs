using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.KeyAdmin;

/// <summary>
/// A key generated or imported on a token, through the stages every token operation shares: an admin_intent on disk
/// first, then the token, then one admin_outcome (generated or imported with the public key, or failed with what failed).
/// </summary>
internal sealed class NewKeyWork(
    string requestId,
    TokenHost token,
    JsonObject record,
    string succeeded,
    Func<ISigningToken, CancellationToken, Task<TokenKey>> onToken) : TokenWork<TokenKey>
{
    public override string RequestId => requestId;

    public override JsonObject Intent => record.With("kind", AuditKinds.AdminIntent);

    public override JsonObject Outcome => record.With("kind", AuditKinds.AdminOutcome);

    public override TokenHost Token => token;

    public override Task<TokenKey> RunAsync(ISigningToken token, CancellationToken cancellation) => onToken(token, cancellation);

    public override JsonObject Succeeded(JsonObject outcome, TokenKey result) =>
        outcome.With("outcome", succeeded).With("public_key", UnpaddedBase64.Encode(result.PublicKey));

    public override JsonObject Failed(JsonObject outcome, Exception error) => outcome.With("outcome", AuditOutcomes.Failed).With("error", error switch
    {
        TokenException or DaemonException => error.Message,
        OperationCanceledException => "the caller cancelled or its deadline passed",
        _ => error.GetType().Name,
    });
}
