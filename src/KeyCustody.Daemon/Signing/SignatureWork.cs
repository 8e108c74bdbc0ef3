using System.Diagnostics;
using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Signing.Stages;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Matrix;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Signing;

/// <summary>The request after its policy: what the token must sign, for whom, confirmed how.</summary>
internal sealed record AdmittedSignature(string RequestId, SignRequest Request, KeyEntry Key, Ed25519PublicKey PublicKey, SigningPlan Plan, PresencePlan Presence, JsonObject Record);

/// <summary>
/// A signing request's work on its token: each object signed in turn (a touch prompt before the card waits for one,
/// never for a touch it will not wait for), every signature verified by the token against the pinned key, merged under
/// the key's id; its outcome record says what the card took (<see cref="TouchCount"/>) or what failed.
/// </summary>
internal sealed class SignatureWork(AdmittedSignature admitted, KeyRegistry keys, Func<RequestEvent, Task> emit) : TokenWork<List<JsonObject>>
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TouchCount _touches = new();
    private long _prompted;
    private TimeSpan _touchWaited;

    // One interaction of each kind for the whole request (a batch signs 1,000 objects); the prompt names the object the
    // token is signing now.
    private TokenInteraction? _prompting;
    private TokenInteraction? _silent;
    private int _signing;

    private KeyEntry Key => admitted.Key;

    public override string RequestId => admitted.RequestId;

    public override JsonObject Intent => admitted.Record.With("kind", AuditKinds.Intent).With("decision", AuditDecisions.Allowed);

    public override JsonObject Outcome => admitted.Record.With("kind", AuditKinds.Outcome);

    public override TokenHost Token => Key.Token;

    public override ApprovalRequest? Approval => admitted.Presence.Approval;

    /// <summary>From each touch prompt to the card's answer.</summary>
    public override TimeSpan PresenceWaited => _touchWaited;

    public override async Task<List<JsonObject>> RunAsync(ISigningToken token, CancellationToken cancellation)
    {
        var objects = admitted.Plan.Objects;
        var signed = new List<JsonObject>(objects.Count);
        for (var i = 0; i < objects.Count; i++)
        {
            var signature = await SignOneAsync(token, i, cancellation).ConfigureAwait(false);
            signed.Add(SignedJson.AddSignature(objects[i], Key.Settings.Owner, Key.Settings.MatrixKeyName(admitted.PublicKey), signature));
        }

        return signed;
    }

    public override JsonObject Succeeded(JsonObject outcome, List<JsonObject> result) =>
        _touches.Describe(outcome.With("outcome", AuditOutcomes.Signed)).With("latency_ms", ElapsedMs);

    public override JsonObject Failed(JsonObject outcome, Exception error)
    {
        var (what, message) = Failure(error);
        return outcome.With("outcome", what).With("error", message).With("latency_ms", ElapsedMs);
    }

    /// <summary>How a failure after the intent is named in the outcome record and the log.</summary>
    public static (string What, string Message) Failure(Exception e) => e switch
    {
        OperationCanceledException => (AuditOutcomes.Cancelled, "the caller cancelled or its deadline passed; the token was not asked or its answer was discarded"),

        // The token's own word for the same event (a cancelled wait inside the middleware): one outcome word for both.
        TokenException { Kind: TokenErrorKind.OperationCancelled } t => (AuditOutcomes.Cancelled, t.Message),
        DaemonException d => (d.Kind.ToString().ToLowerInvariant(), d.Message),
        TokenException t => (t.Kind.ToString().ToLowerInvariant(), t.Message),
        MatrixFormatException m => (AuditOutcomes.SignatureRejected, m.Message),
        _ => (AuditOutcomes.InternalError, "internal error: " + e.GetType().Name),
    };

    private long ElapsedMs => (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds;

    // A ValueTask: a software token or SoftHSM2 answers at once, and a batch signs 1,000 objects.
    private async ValueTask<byte[]> SignOneAsync(ISigningToken token, int index, CancellationToken cancellation)
    {
        var touches = Key.Token.Touches;
        var expect = touches.Expect(admitted.Presence.TouchPolicy, admitted.Request.Caller, out var cachedTouch);
        if (expect == TouchExpectation.Another)
        {
            // Another person's touch came while this request waited for the card.
            expect = admitted.Presence.OperatorForOthersTouch
                ? TouchExpectation.Either
                : throw DaemonErrors.CachedTouchOfAnother(Key.Name, cachedTouch!.By.ToString(), cachedTouch.RequestId, touches.Remaining());
        }

        byte[] signature;
        try
        {
            // The token verifies the signature against the pinned key before returning it, not against its own idea of
            // its key: a token replaced under the same label (holding another key) fails here.
            _signing = index;
            signature = await token.SignAsync(Key.Settings.KeyId, admitted.Plan.SigningBytes[index], Interaction(expect), admitted.PublicKey.Memory, cancellation).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (expect == TouchExpectation.MustWait && e is not (TokenException { Kind: TokenErrorKind.TouchTimeout or TokenErrorKind.OperationCancelled } or OperationCanceledException))
            {
                // The card may have taken this person's touch before the operation failed, and may cache it.
                touches.MaybeTouched(RequestId, admitted.Request.Caller);
            }

            if (e is TokenException { Kind: TokenErrorKind.SignatureInvalid })
            {
                throw NotThePinnedKey();
            }

            throw;
        }
        finally
        {
            if (_prompted != 0)
            {
                _touchWaited += Stopwatch.GetElapsedTime(_prompted);
                _prompted = 0;
            }
        }

        _touches.Count(expect, cachedTouch, touches, RequestId, admitted.Request.Caller);
        return signature;
    }

    /// <summary>
    /// The token's interaction with the touch prompt: none for a touch the card will not wait for. One confirmation covers a batch: the first prompt lists
    /// every object; a card that waits again (touch policy always: one touch per signature, the card's rule) names its object.
    /// </summary>
    private TokenInteraction Interaction(TouchExpectation expect) => expect == TouchExpectation.Cached
        ? _silent ??= Key.Token.Interaction(null)
        : _prompting ??= Key.Token.Interaction(async (prompt, _) =>
        {
            // Objects are signed one after another: the token asks for a touch while it signs object _signing.
            var index = _signing;
            _prompted = Stopwatch.GetTimestamp();
            var count = admitted.Plan.Objects.Count;
            var intent = _touches.Prompts++ == 0 ? admitted.Plan.Intent : $"object {index + 1} of {count}: {DisplayText.Escape(admitted.Plan.Decisions[index].Intent)}";
            await emit(new PresenceRequired(RequestId, PresenceMethod.Touch, prompt.TokenSerial, (int)Math.Ceiling(prompt.Timeout.TotalSeconds), intent) { TokenDevice = prompt.Device }).ConfigureAwait(false);
        });

    /// <summary>
    /// The token's signature did not verify against the pinned key. That is the token's fault, never the caller's: the key
    /// is read again, so a token replaced under the same label (holding another key) makes the key unavailable until the
    /// right token is back.
    /// </summary>
    private DaemonException NotThePinnedKey()
    {
        keys.Refresh(Key);
        return DaemonErrors.KeyUnavailable(Key.Name, Key.Problem ?? $"token {Key.Token.Name} returned a signature that does not verify against the key's public key; it was discarded");
    }
}
