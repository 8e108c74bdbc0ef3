using Grpc.Core;
using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>What the audit log says about the run, after checking it against itself and against the clients.</summary>
internal sealed class AuditSummary
{
    public int Records { get; set; }

    public int Starts { get; set; }

    public int Intents { get; set; }

    public Dictionary<string, int> Outcomes { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, int> Decisions { get; } = new(StringComparer.Ordinal);

    public int Approvals { get; set; }

    /// <summary>Signed on the token and recorded, but the caller had gone (cancelled, disconnected, or the daemon was killed first).</summary>
    public int SignedNotDelivered { get; set; }

    /// <summary>ACCEPTED reached the caller, then a kill came before the intent was on disk (nothing was asked of the token).</summary>
    public int AcceptedThenKilled { get; set; }

    /// <summary>The caller got SIGNED, then a kill came before the outcome was on disk: recorded interrupted at the next start.</summary>
    public int SignedThenKilled { get; set; }
}

/// <summary>
/// The audit log after a fault run: the chain verifies; every intent has exactly one outcome, and an interrupted
/// one only for an intent written before a daemon start that lists it; only entitled principals have intents;
/// only the operator approves; and every signature a client received has its "signed" outcome (nothing lost).
/// </summary>
internal static class AuditChecks
{
    public static AuditSummary Check(string auditPath, IReadOnlyCollection<CallRecord> calls, IReadOnlyList<FaultEvent> faults, int daemonStarts, string me, Action<string> violation)
    {
        var summary = new AuditSummary();
        using (var stream = File.OpenRead(auditPath))
        {
            var chain = AuditChain.Verify(stream);
            if (!chain.Valid)
            {
                violation($"audit chain broken at line {chain.BrokenLine}: {chain.Problem}");
                return summary;
            }
        }

        var records = File.ReadAllLines(auditPath).Select(l => CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(l))).ToList();
        summary.Records = records.Count;
        var intents = new Dictionary<string, (long Seq, JsonObject Record)>(StringComparer.Ordinal);
        var outcomes = new Dictionary<string, List<(long Seq, JsonObject Record)>>(StringComparer.Ordinal);
        var starts = new List<(long Seq, HashSet<string> Interrupted)>();
        foreach (var r in records)
        {
            var seq = ((JsonInteger)r["seq"]!).Value;
            var id = r.GetString("request_id");
            switch (r.GetString("kind"))
            {
                case "start":
                    starts.Add((seq, ((JsonArray)r["interrupted"]!).Select(v => ((JsonString)v).Value).ToHashSet(StringComparer.Ordinal)));
                    break;
                case "intent" when id is not null:
                    if (!intents.TryAdd(id, (seq, r)))
                    {
                        violation($"request {id} has two intents");
                    }

                    CheckEntitled(r, me, violation);
                    break;
                case "outcome" when id is not null:
                    if (!outcomes.TryGetValue(id, out var list))
                    {
                        outcomes[id] = list = [];
                    }

                    list.Add((seq, r));
                    Count(summary.Outcomes, r.GetString("outcome") ?? "?");
                    break;
                case "decision":
                    Count(summary.Decisions, r.GetString("decision") ?? "?");
                    break;
                case "approval":
                    summary.Approvals++;
                    if (r.GetString("approver") != "cert:" + FaultRig.OperatorSubject)
                    {
                        violation($"request {id} approved by {r.GetString("approver")}, who has no approve right");
                    }

                    break;
            }
        }

        summary.Starts = starts.Count;
        summary.Intents = intents.Count;
        if (starts.Count != daemonStarts)
        {
            violation($"{daemonStarts} daemon starts but {starts.Count} start records");
        }

        foreach (var (id, intent) in intents)
        {
            if (!outcomes.TryGetValue(id, out var list) || list.Count == 0)
            {
                violation($"request {id} ({intent.Record.GetString("key")}) has an intent and no outcome");
                continue;
            }

            if (list.Count > 1)
            {
                violation($"request {id} has {list.Count} outcomes");
            }

            var (seq, outcome) = list[0];
            if (outcome.GetString("outcome") == "interrupted")
            {
                var start = starts.LastOrDefault(s => s.Seq < seq);
                if (start.Interrupted is null || !start.Interrupted.Contains(id) || intent.Seq > start.Seq)
                {
                    violation($"request {id} is recorded interrupted without a daemon start that found it open");
                }
            }

            if (outcome.GetString("key") == "carol-ssk" && outcome.GetString("outcome") == "signed" && outcome.GetString("approver") != "cert:" + FaultRig.OperatorSubject)
            {
                violation($"request {id} on the operator key was signed without the operator's approval");
            }
        }

        foreach (var (id, list) in outcomes)
        {
            if (!intents.ContainsKey(id))
            {
                violation($"request {id} has an outcome ({list[0].Record.GetString("outcome")}) and no intent");
            }
        }

        var kills = faults.Where(f => f.Kind == FaultKind.DaemonKilled).ToList();
        bool KillDuring(CallRecord c) => kills.Any(k => c.Started <= k.Ended && (c.Ended >= k.Started || GaveUp(c)));
        bool KillBeforeOutcome(CallRecord c) => kills.Any(k => c.Started <= k.Ended && k.Started <= c.Ended + OutcomeWindow);
        foreach (var call in calls)
        {
            if (call.RequestId is not { } id)
            {
                continue;
            }

            var outcome = outcomes.TryGetValue(id, out var list) ? list[0].Record.GetString("outcome") : null;
            if (!intents.ContainsKey(id))
            {
                if (KillDuring(call) && !call.Signed)
                {
                    summary.AcceptedThenKilled++;
                }
                else
                {
                    violation($"request {id} ({call.Key}) was ACCEPTED but has no intent, and no kill explains it ({call.Status})");
                }

                continue;
            }

            if (call.Signed && outcome == "interrupted" && KillBeforeOutcome(call))
            {
                // SIGNED goes out before the outcome's write (docs/architecture.md, "The outcome record"): a kill in that
                // gap leaves the durable intent, which the next start records as interrupted ("the token may have signed").
                summary.SignedThenKilled++;
            }
            else if (call.Signed && outcome != "signed")
            {
                violation($"request {id} ({call.Key}): the client got a signature, the audit log says {outcome ?? "nothing"}");
            }

            if (!call.Signed && outcome == "signed")
            {
                summary.SignedNotDelivered++;
                if (call.Kind == CallKind.Normal && call.Status is not (StatusCode.Cancelled or StatusCode.DeadlineExceeded) && !KillDuring(call))
                {
                    violation($"request {id} ({call.Key}) was signed but the client got {call.Status} ({call.Detail}) and did not go away");
                }
            }

            if (outcome == "interrupted" && !KillDuring(call) && !(call.Signed && KillBeforeOutcome(call)))
            {
                violation($"request {id} ({call.Key}) is recorded interrupted, but no kill happened during the call");
            }
        }

        return summary;
    }

    /// <summary>
    /// The client ended the call itself (it cancelled, closed its connection, or its deadline passed): its end is the
    /// client's, at once, while the daemon still holds the request until it notices, and records the intent (if not yet on
    /// disk) and the outcome. A kill in that gap leaves the request open, or without its intent, after the call "ended";
    /// so any kill after such a call started may explain it. The daemon start that lists it is checked above.
    /// </summary>
    /// <summary>
    /// How long after a caller has SIGNED its outcome may still be on its way to disk: held up to 5 ms for the next commit
    /// (AuditLog's unhurried records), then written and fsync'd, on a machine the fault run loads. A kill later than this
    /// that leaves a delivered signature "interrupted" is a lost outcome, a violation.
    /// </summary>
    private static readonly TimeSpan OutcomeWindow = TimeSpan.FromSeconds(2);

    private static bool GaveUp(CallRecord call) => call.Status is StatusCode.Cancelled or StatusCode.DeadlineExceeded;

    /// <summary>Intents only from principals with the sign right on the key (the rules of <see cref="FaultRig"/>).</summary>
    private static void CheckEntitled(JsonObject intent, string me, Action<string> violation)
    {
        var principal = intent.GetString("principal") ?? string.Empty;
        var key = intent.GetString("key");
        var entitled = principal.StartsWith(me + " ", StringComparison.Ordinal) || principal == me
            || (principal == "cert:" + FaultRig.LimitedSubject && key == "hsm-server");
        if (!entitled)
        {
            violation($"request {intent.GetString("request_id")}: an intent for {principal} on {key}, who has no sign right on it");
        }
    }

    private static void Count(Dictionary<string, int> counts, string what) => counts[what] = counts.GetValueOrDefault(what) + 1;
}
