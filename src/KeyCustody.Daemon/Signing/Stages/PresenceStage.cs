using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Requests;
using KeyCustody.Matrix.Json;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Signing.Stages;

/// <summary>How a person will confirm: the card's touch (and its policy), an operator, or both; <see cref="Recorded"/> is what the intent says.</summary>
internal sealed record PresencePlan(TouchPolicy TouchPolicy, bool OperatorForOthersTouch, ApprovalRequest? Approval, string Recorded);

/// <summary>
/// Who must confirm a signature (architecture.md, step 10-12): the key's presence (touch when its token's policy asks for
/// one, otherwise an operator), a named approver (four eyes), and a touch the card may still cache for another person,
/// which covers only that person: refused before any intent, or an operator stands in for the touch
/// (presence.cachedTouchForOthers, threat-model.md "Touch-cached keys").
/// </summary>
internal static class PresenceStage
{
    public static PresencePlan Plan(SignRequest request, KeyEntry key, SigningPlan plan, PresenceConfig config)
    {
        var presence = key.PresenceKind;
        var touchPolicy = presence == PresenceKind.Touch ? key.Info?.TouchPolicy ?? TouchPolicy.Always : TouchPolicy.Never;
        var operatorForOthersTouch = false;
        if (key.Token.Touches.Expect(touchPolicy, request.Caller, out var othersTouch) == TouchExpectation.Another)
        {
            if (config.CachedTouchForOthers != "operator")
            {
                throw new Refusal(
                    DaemonErrors.CachedTouchOfAnother(key.Name, othersTouch!.By.ToString(), othersTouch.RequestId, key.Token.Touches.Remaining()),
                    AuditDecisions.FreshPresenceRequired,
                    null,
                    JsonObject.Of(("payload_sha256", plan.Hashes), ("intent", plan.Intent), ("cached_touch", Describe(othersTouch))));
            }

            operatorForOthersTouch = true;
        }

        var needsApproval = presence == PresenceKind.Operator || key.Settings.RequireApprover is not null || operatorForOthersTouch;
        var approval = needsApproval
            ? new ApprovalRequest(request.Caller, key.Name, plan.Intent, plan.Hashes.Select(h => ((JsonString)h).Value).ToList(), key.Settings.RequireApprover, TimeSpan.FromSeconds(config.ApprovalTimeoutSeconds))
            : null;
        var recorded = needsApproval && presence == PresenceKind.Touch ? "touch+operator" : presence.ToString().ToLowerInvariant();
        return new PresencePlan(touchPolicy, operatorForOthersTouch, approval, recorded);
    }

    public static JsonObject Describe(CachedTouch touch) => JsonObject.Of(("request_id", touch.RequestId), ("principal", touch.By.ToString()));
}
