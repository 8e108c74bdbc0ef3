using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Audit;

/// <summary>
/// What <see cref="AuditContinuity"/> needs of the log, gathered record by record in the pass that verifies it, instead of
/// keeping the records: how many, the head's hash, the hash of the record at the anchor's seq, and whether a start record
/// says a daemon kept an anchor. The anchor is read once, when the summary is made (<see cref="Before"/>, before the log is
/// read), and the log is compared with that reading only: a running daemon moves its anchor after each commit, never ahead
/// of the log on disk, so a log read after its anchor holds the anchored record (<c>--check-config</c> runs beside one).
/// </summary>
internal sealed class AuditLogSummary
{
    private readonly long _anchorSeq;
    private string? _atAnchorSeq;

    private AuditLogSummary(AuditHead? anchor, bool anchorUnreadable)
    {
        Anchor = anchor;
        AnchorUnreadable = anchorUnreadable;
        _anchorSeq = anchor?.Seq ?? 0;
    }

    /// <summary>A summary with no records yet, and the anchor as it is now (none without <paramref name="anchoring"/>).</summary>
    public static AuditLogSummary Before(AuditAnchoring? anchoring)
    {
        if (anchoring is null)
        {
            return new(null, false);
        }

        var anchor = AuditAnchor.Read(anchoring.AnchorPath, out var unreadable);
        return new(anchor, unreadable);
    }

    /// <summary>The anchor's head as read before the log (null when there is none, or none readable).</summary>
    public AuditHead? Anchor { get; }

    /// <summary>Whether the anchor file was there but held no readable head.</summary>
    public bool AnchorUnreadable { get; }

    public long Count { get; private set; }

    /// <summary>The last record's hash (null when there are no records).</summary>
    public string? HeadHash { get; private set; }

    /// <summary>Whether a start record was written by a daemon that kept an anchor.</summary>
    public bool WasAnchored { get; private set; }

    /// <summary>Takes the next record of the chain (records come in order, each already verified).</summary>
    public void Add(JsonObject record)
    {
        Count++;
        HeadHash = record.GetString("hash");
        if (Count == _anchorSeq)
        {
            _atAnchorSeq = HeadHash;
        }

        WasAnchored |= record.GetString("kind") == AuditKinds.Start && record["anchor"] is not null;
    }

    /// <summary>The hash of the anchored record, once the log reached it (null before).</summary>
    public string? HashAtAnchor => _anchorSeq > 0 && _anchorSeq <= Count ? _atAnchorSeq : null;
}
