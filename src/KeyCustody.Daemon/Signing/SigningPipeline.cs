using System.Diagnostics;
using System.Security.Cryptography;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Security;
using KeyCustody.Matrix;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Signing;

/// <summary>What the caller asked for.</summary>
public enum SignOperation
{
    SignJson,
    SignJsonBatch,
    CrossSignDevice,
    CrossSignUser,
}

/// <summary>The signed objects, the key id they are under, and the request id.</summary>
public sealed record SignResult(string RequestId, string KeyId, IReadOnlyList<JsonObject> Signed);

/// <summary>
/// One signing request end to end (architecture.md "A signing request, end to end"): access rule,
/// strict parse, role policy, intent on the audit log, operator approval when needed, the token's
/// queue, the token (with a touch prompt when it will wait for one), verification against the pinned
/// public key, merge, outcome on the audit log. Nothing reaches the token before the intent is on disk.
/// </summary>
public sealed partial class SigningPipeline(
    KeyRegistry keys,
    AccessRules access,
    AuditLog audit,
    ApprovalBroker approvals,
    IdentityStore identities,
    ValidatedConfig config,
    TimeProvider time,
    ILogger<SigningPipeline> log)
{
    public async Task<SignResult> RunAsync(
        Principal principal,
        string keyName,
        IReadOnlyList<ReadOnlyMemory<byte>> payloads,
        SignOperation operation,
        Func<SignEvent, Task> emit,
        CancellationToken cancellation)
    {
        var requestId = "r-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var started = Stopwatch.GetTimestamp();
        var opName = OperationName(operation);
        var who = principal.ToString();
        var record = JsonObject.Of(("request_id", requestId), ("principal", who), ("key", DisplayText.Clip(keyName, 200)), ("operation", opName));

        if (!access.Allows(principal, keyName, Operations.Sign))
        {
            Decide(record, "permission_denied", null);
            LogDenied(who, DisplayText.Clip(keyName, 200), requestId);
            throw DaemonErrors.Denied(who, "sign", keyName);
        }

        var key = keys.Find(keyName);
        if (key is null)
        {
            Decide(record, "unknown_key", null);
            throw DaemonErrors.UnknownKey(keyName);
        }

        record = record.With("role", key.Settings.Role.ToConfigName());
        var objects = ParseAll(payloads, operation, record);
        CheckOperationMatchesRole(operation, key, record);

        if (key.Problem is not null)
        {
            keys.Refresh(key);
        }

        if (key.Problem is not null || key.PublicKey is null)
        {
            Decide(record, "key_unavailable", key.Problem);
            throw DaemonErrors.KeyUnavailable(keyName, key.Problem ?? "its public key is unknown");
        }

        // A cross-signing key signs only when the daemon verified its attestation or an admin accepted it (KeyTrust).
        if (key.Trust is { Trusted: false, WhyNot: var whyNot })
        {
            Decide(record, "key_not_trusted", whyNot);
            LogNotTrusted(keyName, requestId);
            throw DaemonErrors.KeyNotTrusted(keyName, whyNot ?? "it is not trusted");
        }

        var publicKey = key.PublicKey;
        var entity = key.Settings.Owner;
        var decisions = new List<PolicyDecision>(objects.Count);
        var signingBytes = new List<byte[]>(objects.Count);
        var known = keys.IdentityOf(entity);
        for (var i = 0; i < objects.Count; i++)
        {
            var decision = SigningPolicy.Evaluate(key.Settings.Role, entity, publicKey, known, objects[i]);
            if (!decision.Allowed)
            {
                // Reasons quote user and device ids: a caller's text, escaped before a person reads it.
                var reason = DisplayText.Escape(decision.Reason);
                Decide(record.With("payload_sha256", Hashes(objects.Take(i + 1).Select(o => CanonicalJson.EncodeForSigning(o)))), "policy_denied", reason);
                LogPolicyDenied(keyName, requestId, decision.Rule, decision.Kind);
                throw DaemonErrors.Policy(keyName, objects.Count == 1 ? reason : $"object {i}: {reason}");
            }

            decisions.Add(decision);
            try
            {
                signingBytes.Add(SignedJson.SigningBytes(objects[i], entity));
            }
            catch (Matrix.MatrixFormatException e)
            {
                // The object cannot carry the signature (e.g. its "signatures" is not an object of objects): refused like any bad input, and audited.
                var reason = DisplayText.Escape(e.Message);
                Decide(record.With("payload_sha256", Hashes(objects.Take(i + 1).Select(o => CanonicalJson.EncodeForSigning(o)))), "invalid_argument", reason);
                throw DaemonErrors.InvalidJson(operation == SignOperation.SignJsonBatch ? i : -1, reason);
            }
        }

        // What people read (the caller's progress, the approver's list, the touch prompt, the audit log): escaped once here.
        var intent = DisplayText.Escape(decisions.Count == 1
            ? decisions[0].Intent
            : $"{decisions.Count} signatures with key '{keyName}': " + string.Join("; ", decisions.Select(d => d.Intent)));
        var presence = key.PresenceKind;
        var touchPolicy = presence == PresenceKind.Touch ? key.Info?.TouchPolicy ?? TouchPolicy.Always : TouchPolicy.Never;
        var hashes = Hashes(signingBytes);

        // A touch the card may still cache covers only the person who gave it (threat-model.md, "Touch-cached keys").
        var approvalForCachedTouch = false;
        if (key.Token.Touches.Expect(touchPolicy, principal, out var othersTouch) == TouchExpectation.Another)
        {
            if (config.Presence.CachedTouchForOthers != "operator")
            {
                Decide(record.With("payload_sha256", hashes).With("intent", intent).With("cached_touch", Describe(othersTouch!)), "fresh_presence_required", null);
                throw DaemonErrors.CachedTouchOfAnother(keyName, othersTouch!.By.ToString(), othersTouch.RequestId, key.Token.Touches.Remaining());
            }

            approvalForCachedTouch = true;
        }

        var needsApproval = presence == PresenceKind.Operator || key.Settings.RequireApprover is not null || approvalForCachedTouch;
        record = record.With("payload_sha256", hashes).With("intent", intent)
            .With("presence", needsApproval && presence == PresenceKind.Touch ? "touch+operator" : presence.ToString().ToLowerInvariant());

        await emit(new SignEvent { Accepted = new Accepted { RequestId = requestId, Intent = intent } }).ConfigureAwait(false);

        // The intent is on disk before anything else happens; if it cannot be written, nothing is signed.
        await audit.AppendAsync(record.With("kind", "intent").With("decision", "allowed")).ConfigureAwait(false);
        var hashText = string.Join(",", hashes.Select(h => ((JsonString)h).Value));
        LogIntent(who, keyName, requestId, hashText);

        var outcome = record.With("kind", "outcome");
        try
        {
            if (needsApproval)
            {
                var timeout = TimeSpan.FromSeconds(config.Presence.ApprovalTimeoutSeconds);
                await emit(new SignEvent
                {
                    PresenceRequired = new PresenceRequired
                    {
                        Method = PresenceRequired.Types.Method.Operator,
                        TokenSerial = key.Token.Serial,
                        TimeoutSeconds = (int)timeout.TotalSeconds,
                        Intent = intent,
                        RequestId = requestId,
                    },
                }).ConfigureAwait(false);
                var now = time.GetUtcNow();
                var approver = await approvals.WaitAsync(
                    new PendingApproval(requestId, principal, keyName, intent, now, now + timeout, hashes.Select(h => ((JsonString)h).Value).ToList(), key.Settings.RequireApprover),
                    cancellation).ConfigureAwait(false);
                await audit.AppendAsync(JsonObject.Of(("kind", "approval"), ("request_id", requestId), ("approver", approver.ToString()))).ConfigureAwait(false);
                outcome = outcome.With("approver", approver.ToString());
            }

            var touches = new TouchCount();
            var signed = await key.Token.UseAsync(
                async token =>
                {
                    var list = new List<JsonObject>(objects.Count);
                    for (var i = 0; i < objects.Count; i++)
                    {
                        var expect = key.Token.Touches.Expect(touchPolicy, principal, out var cachedTouch);
                        if (expect == TouchExpectation.Another)
                        {
                            // Another person's touch came while this request waited for the card.
                            expect = approvalForCachedTouch
                                ? TouchExpectation.Either
                                : throw DaemonErrors.CachedTouchOfAnother(keyName, cachedTouch!.By.ToString(), cachedTouch.RequestId, key.Token.Touches.Remaining());
                        }

                        var index = i;
                        var interaction = key.Token.Interaction(async (prompt, ct) =>
                        {
                            if (expect == TouchExpectation.Cached)
                            {
                                // The card signs on the touch it holds: nobody is asked for one it will not wait for.
                                return;
                            }

                            // One confirmation covers a batch: the first prompt lists every object; a card that waits again
                            // (touch policy always: one touch per signature, the card's rule) names the object it is for.
                            await emit(new SignEvent
                            {
                                PresenceRequired = new PresenceRequired
                                {
                                    Method = PresenceRequired.Types.Method.Touch,
                                    TokenSerial = prompt.TokenSerial,
                                    TimeoutSeconds = (int)Math.Ceiling(prompt.Timeout.TotalSeconds),
                                    Intent = touches.Prompts++ == 0 ? intent : $"object {index + 1} of {objects.Count}: {DisplayText.Escape(decisions[index].Intent)}",
                                    RequestId = requestId,
                                },
                            }).ConfigureAwait(false);
                        });
                        byte[] signature;
                        try
                        {
                            // The token verifies the signature against the pinned key before returning it, not against its
                            // own idea of its key: a token replaced under the same label (holding another key) fails here.
                            signature = await token.SignAsync(key.Settings.KeyId, signingBytes[i], interaction, publicKey.Memory, cancellation).ConfigureAwait(false);
                        }
                        catch (Exception e)
                        {
                            if (expect == TouchExpectation.MustWait && e is not (TouchTimeoutException or TokenOperationCancelledException or OperationCanceledException))
                            {
                                // The card may have taken this person's touch before the operation failed, and may cache it.
                                key.Token.Touches.MaybeTouched(requestId, principal);
                            }

                            if (e is DeviceErrorException { Code: TokenErrors.SignatureInvalidCode })
                            {
                                throw NotThePinnedKey(key);
                            }

                            throw;
                        }

                        touches.Count(expect, cachedTouch, key.Token.Touches, requestId, principal);
                        list.Add(SignedJson.AddSignature(objects[i], entity, key.Settings.MatrixKeyName(publicKey), signature));
                    }

                    return list;
                },
                position => emit(new SignEvent { Queued = new Queued { Position = position } }),
                cancellation).ConfigureAwait(false);

            await audit.AppendAsync(touches.Describe(outcome.With("outcome", "signed")).With("latency_ms", ElapsedMs(started))).ConfigureAwait(false);
            Remember(key, signed);
            return new SignResult(requestId, SignedJson.Ed25519Prefix + key.Settings.MatrixKeyName(publicKey), signed);
        }
        catch (Exception e)
        {
            (string What, string Message) failure = e switch
            {
                OperationCanceledException => ("cancelled", "the caller cancelled or its deadline passed; the token was not asked or its answer was discarded"),
                DaemonException d => (d.Kind.ToString().ToLowerInvariant(), d.Message),
                TokenException t => (t.Kind.ToString().ToLowerInvariant(), t.Message),
                Matrix.MatrixFormatException m => ("signature_rejected", m.Message),
                _ => ("internal_error", "internal error: " + e.GetType().Name),
            };
            try
            {
                await audit.AppendAsync(outcome.With("outcome", failure.What).With("error", failure.Message).With("latency_ms", ElapsedMs(started))).ConfigureAwait(false);
            }
            catch (DaemonException)
            {
                // The audit log failed too: the original error is what the caller needs; the log refuses further signing.
            }

            LogFailed(keyName, requestId, failure.What);
            throw;
        }
    }

    /// <summary>
    /// The token's signature did not verify against the pinned key. That is the token's fault, never the caller's: the
    /// key is read again, so a token replaced under the same label (holding another key) makes the key unavailable
    /// until the right token is back.
    /// </summary>
    private DaemonException NotThePinnedKey(KeyEntry key)
    {
        keys.Refresh(key);
        return DaemonErrors.KeyUnavailable(key.Name, key.Problem ?? $"token {key.Token.Name} returned a signature that does not verify against the key's public key; it was discarded");
    }

    private static string OperationName(SignOperation op) => op switch
    {
        SignOperation.SignJson => "sign_json",
        SignOperation.SignJsonBatch => "sign_json_batch",
        SignOperation.CrossSignDevice => "cross_sign_device",
        _ => "cross_sign_user",
    };

    private List<JsonObject> ParseAll(IReadOnlyList<ReadOnlyMemory<byte>> payloads, SignOperation operation, JsonObject record)
    {
        if (payloads.Count == 0)
        {
            Decide(record, "invalid_argument", "no JSON object given");
            throw DaemonErrors.InvalidArgument("no JSON object given; nothing was signed");
        }

        if (payloads.Count > config.Limits.MaxBatch)
        {
            Decide(record, "invalid_argument", "batch too large");
            throw DaemonErrors.InvalidArgument($"a batch holds at most {config.Limits.MaxBatch} objects, this one {payloads.Count}; nothing was signed");
        }

        var limits = new CanonicalJsonLimits { MaxBytes = config.Limits.MaxJsonBytes, MaxDepth = config.Limits.MaxJsonDepth };
        var objects = new List<JsonObject>(payloads.Count);
        for (var i = 0; i < payloads.Count; i++)
        {
            try
            {
                objects.Add(CanonicalJson.ParseObject(payloads[i].Span, limits));
            }
            catch (CanonicalJsonException e)
            {
                Decide(record, "invalid_argument", e.Message);
                throw DaemonErrors.InvalidJson(operation == SignOperation.SignJsonBatch ? i : -1, e.Message);
            }
        }

        return objects;
    }

    private void CheckOperationMatchesRole(SignOperation operation, KeyEntry key, JsonObject record)
    {
        var needed = operation switch
        {
            SignOperation.CrossSignDevice => KeyRole.SelfSigning,
            SignOperation.CrossSignUser => KeyRole.UserSigning,
            _ => key.Settings.Role,
        };
        if (needed != key.Settings.Role)
        {
            Decide(record, "invalid_argument", "wrong key role for the operation");
            throw DaemonErrors.InvalidArgument($"{OperationName(operation)} needs a {needed.Describe()}; '{key.Name}' is a {key.Settings.Role.Describe()}");
        }
    }

    /// <summary>A decision taken before any intent: refused requests are audited too.</summary>
    private void Decide(JsonObject record, string decision, string? reason)
    {
        var r = record.With("kind", "decision").With("decision", decision);
        audit.Append(reason is null ? r : r.With("reason", reason));
    }

    /// <summary>
    /// Keeps what GetPublicKeys would publish as it is: a master key's signature over its owner's key object for a
    /// role, naming the key configured for that role, with nothing but the spec's members. The policy allows nothing
    /// else; this is the second lock on the identity the daemon hands out.
    /// </summary>
    private void Remember(KeyEntry key, List<JsonObject> signed)
    {
        if (key.Settings.Role != KeyRole.Master)
        {
            return;
        }

        var known = keys.IdentityOf(key.Settings.Owner);
        foreach (var obj in signed)
        {
            if (CrossSigningKey.TryParse(obj, out var csk, out _) && csk!.UserId == key.Settings.Owner && csk.ExtraMembers.Count == 0
                && known.Of(csk.Usage).Contains(csk.PublicKey))
            {
                identities.Remember(csk);
            }
        }
    }

    private static JsonObject Describe(CachedTouch touch) => JsonObject.Of(("request_id", touch.RequestId), ("principal", touch.By.ToString()));

    private static JsonArray Hashes(IEnumerable<byte[]> bytes) =>
        new(bytes.Select(b => (JsonValue)Convert.ToHexStringLower(SHA256.HashData(b))).ToArray());

    private static long ElapsedMs(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Sign request {RequestId} by {Principal} with key {Key}: intent recorded, payload SHA-256 {PayloadSha256}")]
    private partial void LogIntent(string principal, string key, string requestId, string payloadSha256);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Sign request {RequestId}: {Principal} has no sign right on key {Key}")]
    private partial void LogDenied(string principal, string key, string requestId);

    // The rule, not the reason: the reason quotes the payload (user and device ids), which stays out of the log.
    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Sign request {RequestId} with key {Key} refused by policy: rule {Rule} ({PayloadKind}); the caller was told why")]
    private partial void LogPolicyDenied(string key, string requestId, string rule, PayloadKind payloadKind);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Sign request {RequestId} with key {Key} failed: {Outcome}")]
    private partial void LogFailed(string key, string requestId, string outcome);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Sign request {RequestId} with key {Key} refused: the key is neither attested nor accepted by an admin, or was rejected (keycustody keys list says which)")]
    private partial void LogNotTrusted(string key, string requestId);
}
