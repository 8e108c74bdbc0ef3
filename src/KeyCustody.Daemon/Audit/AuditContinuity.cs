using System.Globalization;

namespace KeyCustody.Daemon.Audit;

/// <summary>How the daemon checks at start that its audit log continues what came before, and what an operator accepted.</summary>
/// <param name="AnchorPath">The anchor file (<see cref="AuditAnchor"/>).</param>
/// <param name="StateRemains">Keys were pinned or identities kept (pins.json, identities/): a daemon ran here and audited.</param>
/// <param name="Accept">The number a refusal named, given back with --accept-audit-gap: that finding is accepted, once.</param>
/// <param name="AcceptedBy">Who accepted it, for the record (the daemon's user).</param>
public sealed record AuditAnchoring(string AnchorPath, bool StateRemains, long? Accept, string AcceptedBy)
{
    /// <summary>The anchor beside pins.json, and whether this state directory was used before (pinned keys, identities).</summary>
    public static AuditAnchoring For(string stateDirectory, long? accept, string acceptedBy)
    {
        var identities = Path.Combine(stateDirectory, "identities");
        var used = File.Exists(Path.Combine(stateDirectory, "pins.json"))
            || (Directory.Exists(identities) && Directory.EnumerateFileSystemEntries(identities).Any());
        return new AuditAnchoring(Path.Combine(stateDirectory, AuditAnchor.FileName), used, accept, acceptedBy);
    }
}

/// <summary>A log that does not continue what came before: what was found, and the number that accepts it.</summary>
public sealed record AuditGap(string Kind, long AcceptWith, string Found);

/// <summary>
/// Compares the audit log found at start with its anchor and with the rest of the state: records cut from the end, a
/// log replaced by an older copy or by another chain, a log deleted (while pinned keys or identities remain), an
/// anchor deleted under a log that had one. The hash chain itself is checked by <see cref="KeyCustody.Contract.Audit.AuditChain"/>.
/// </summary>
internal static class AuditContinuity
{
    /// <summary>
    /// Compares the log, as <paramref name="log"/> sums it up, with its anchor as the summary read it before the log (not
    /// read again: a running daemon's anchor may by now name a record the pass did not reach, or a hash it did not keep).
    /// </summary>
    public static AuditGap? Check(string logPath, AuditLogSummary log, AuditAnchoring anchoring)
    {
        var (anchor, unreadable) = (log.Anchor, log.AnchorUnreadable);
        var count = log.Count;
        var head = count == 0 ? "no records" : $"{count} records, head hash {log.HeadHash}";
        if (unreadable)
        {
            return new AuditGap("anchor_unreadable", count, $"{anchoring.AnchorPath} holds no readable head (the log has {head})");
        }

        if (anchor is not null)
        {
            if (count < anchor.Seq)
            {
                var what = count == 0
                    ? $"the audit log {logPath} is missing or empty"
                    : $"the audit log {logPath} ends at seq {count} (hash {log.HeadHash})";
                return new AuditGap(count == 0 ? "log_missing" : "log_cut", anchor.Seq,
                    $"{what}, but {anchoring.AnchorPath} says records up to seq {anchor.Seq} (hash {anchor.Hash}) were written: " +
                    $"{anchor.Seq - count} record(s) are gone from its end (cut off, or the log was replaced by an older copy)");
            }

            var recorded = anchor.Seq > 0 ? log.HashAtAnchor : anchor.Hash;
            if (recorded != anchor.Hash)
            {
                return new AuditGap("log_replaced", anchor.Seq,
                    $"record seq {anchor.Seq} of the audit log {logPath} has hash {recorded}, but {anchoring.AnchorPath} says {anchor.Hash}: the log was replaced by another chain");
            }

            return null;
        }

        if (log.WasAnchored)
        {
            return new AuditGap("anchor_missing", count,
                $"{anchoring.AnchorPath} is missing, but the audit log {logPath} ({head}) was kept with one: it was deleted, so a cut of the log cannot be ruled out");
        }

        if (count == 0 && anchoring.StateRemains)
        {
            return new AuditGap("log_missing", 0,
                $"the audit log {logPath} is missing or empty, but keys were pinned or identities kept in the state directory: the record of what they signed is gone");
        }

        return null;
    }

    /// <summary>The refusal: what was found, and how to accept it deliberately.</summary>
    public static string Refusal(AuditGap gap) =>
        $"{gap.Found}. Keep the audit log and {AuditAnchor.FileName} as evidence. To go on deliberately with the log as it is, start keycustodyd once with " +
        $"--accept-audit-gap {gap.AcceptWith.ToString(CultureInfo.InvariantCulture)}; the acceptance is the first thing recorded in the log";
}
