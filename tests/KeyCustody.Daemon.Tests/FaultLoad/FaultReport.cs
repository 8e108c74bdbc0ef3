using System.Globalization;
using System.Text;
using Grpc.Core;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>The figures of one fault run and everything it found wrong (a run passes when <see cref="Violations"/> is empty).</summary>
internal sealed class FaultReport
{
    public required FaultOptions Options { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public required IReadOnlyCollection<CallRecord> Calls { get; init; }

    public required IReadOnlyDictionary<string, int> Verified { get; init; }

    public required int PythonChecked { get; init; }

    public required IReadOnlyList<FaultEvent> Faults { get; init; }

    public required int Cancels { get; init; }

    public required int Disconnects { get; init; }

    public required int OperatorApprovals { get; init; }

    public required AuditSummary Audit { get; init; }

    public required IReadOnlyList<ResourceSample> Resources { get; init; }

    public required IReadOnlyList<string> Violations { get; init; }

    /// <summary>Lines of daemon output and audit log searched for PINs, the management key and payloads.</summary>
    public required int LogLinesSearched { get; init; }

    public int FaultCount(FaultKind kind) => Faults.Count(f => f.Kind == kind);

    /// <summary>The README table: requests, faults of each kind, errors by status code, and the "nothing lost" checks.</summary>
    public string Table()
    {
        var s = new StringBuilder();
        string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        void Row(string what, string value) => s.Append("| ").Append(what).Append(" | ").Append(value).AppendLine(" |");

        s.AppendLine("| what | count |").AppendLine("|---|---:|");
        Row("run (s), seed", $"{Elapsed.TotalSeconds:0}, seed {Options.Seed}");
        Row("clients", $"{Options.Signers} signers + 1 restricted (TLS) + 1 refused + 1 operator (TLS)");
        Row("**requests**", N(Calls.Count));
        foreach (var kind in Enum.GetValues<CallKind>())
        {
            var of = Calls.Where(c => c.Kind == kind).ToList();
            if (of.Count > 0)
            {
                Row($"&nbsp; {kind.ToString().ToLowerInvariant()}", $"{N(of.Count)} ({N(of.Count(c => c.Signed))} signed)");
            }
        }

        Row("**signatures received**", $"{N(Calls.Count(c => c.Signed))}, all verified with KeyCustody.Matrix: {N(Verified.Values.Sum())}; python-signedjson sample: {N(PythonChecked)}");
        foreach (var (key, n) in Verified.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            Row($"&nbsp; {key}", N(n));
        }

        Row("**faults**", N(Faults.Count + Cancels + Disconnects));
        foreach (var kind in Enum.GetValues<FaultKind>())
        {
            Row($"&nbsp; {Describe(kind)}", N(FaultCount(kind)));
        }

        Row("&nbsp; client cancelled mid-call", N(Cancels));
        Row("&nbsp; client closed its connection mid-call", N(Disconnects));
        Row("**errors by status code** (client side)", N(Calls.Count(c => c.Status is not null)));
        foreach (var group in Calls.Where(c => c.Status is not null).GroupBy(c => c.Status!.Value).OrderByDescending(g => g.Count()))
        {
            var kinds = string.Join(", ", group.GroupBy(c => c.Kind).Select(g => $"{g.Key.ToString().ToLowerInvariant()} {N(g.Count())}"));
            Row($"&nbsp; {Name(group.Key)}", $"{N(group.Count())} ({kinds})");
        }

        Row("**audit records**", $"{N(Audit.Records)}: {N(Audit.Intents)} intents, {N(Audit.Starts)} daemon starts, {N(Audit.Approvals)} approvals");
        foreach (var (outcome, n) in Audit.Outcomes.OrderByDescending(o => o.Value))
        {
            Row($"&nbsp; outcome {outcome}", N(n));
        }

        foreach (var (decision, n) in Audit.Decisions.OrderByDescending(o => o.Value))
        {
            Row($"&nbsp; refused before any intent: {decision}", N(n));
        }

        Row("signed, caller gone before delivery (recorded as signed)", N(Audit.SignedNotDelivered));
        Row("accepted, then killed before the intent was written", N(Audit.AcceptedThenKilled));
        Row("signed and delivered, then killed before the outcome was written (recorded interrupted)", N(Audit.SignedThenKilled));
        Row("log and audit lines searched for PINs, the management key and payloads (found: a violation)", N(LogLinesSearched));
        Row("**violations**: lost (a signature received without a \"signed\" record, an intent without outcome), a bad or unentitled signature, a secret or payload in a log", N(Violations.Count));
        if (Resources.Count > 0)
        {
            Row("daemon VmRSS (MiB): min / max", $"{Resources.Min(r => r.RssBytes) / 1048576.0:0} / {Resources.Max(r => r.RssBytes) / 1048576.0:0}");
            Row("daemon open fds: min / max", $"{Resources.Min(r => r.Fds)} / {Resources.Max(r => r.Fds)}");
            var last = Resources.Where(r => r.Start == Resources[^1].Start).ToList();
            Row("last daemon process (s alive; VmRSS MiB first/last; fds first/last)",
                $"{last[^1].SinceStart.TotalSeconds:0}; {last[0].RssBytes / 1048576.0:0}/{last[^1].RssBytes / 1048576.0:0}; {last[0].Fds}/{last[^1].Fds}");
        }

        return s.ToString();
    }

    public static string Describe(FaultKind kind) => kind switch
    {
        FaultKind.CardRemoved => "card removed and re-inserted",
        FaultKind.CardRemovedMidCommand => "card removed during a command, re-inserted",
        FaultKind.TouchTimeout => "card not touched (touch timeout), then auto again",
        FaultKind.PcscdRestart => "pcscd killed and restarted",
        FaultKind.HsmVanished => "SoftHSM2 token directory gone, then back",
        FaultKind.HsmReplaced => "SoftHSM2 token replaced (same labels, new keys), then the original back",
        _ => "keycustodyd SIGKILL and restart",
    };

    private static string Name(StatusCode code) => code switch
    {
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        _ => code.ToString().ToUpperInvariant(),
    };
}
