using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Audit;

/// <summary>
/// What <see cref="AuditContinuity"/> needs of the log, gathered record by record in the pass that verifies it, instead of
/// keeping the records: how many, the head's hash, the hash of the record at the anchor's seq, and whether a start record
/// says a daemon kept an anchor.
/// </summary>
/// <param name="anchorSeq">The seq whose hash is kept (the anchor's; 0 when there is none).</param>
internal sealed class AuditLogSummary(long anchorSeq)
{
    private string? _atAnchorSeq;

    /// <summary>The summary of a log with no records.</summary>
    public static AuditLogSummary Empty => new(0);

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
        if (Count == anchorSeq)
        {
            _atAnchorSeq = HeadHash;
        }

        WasAnchored |= record.GetString("kind") == AuditKinds.Start && record["anchor"] is not null;
    }

    /// <summary>The hash of record <paramref name="seq"/>: only the anchor's seq is kept.</summary>
    public string? HashAt(long seq) => seq == anchorSeq && seq <= Count
        ? _atAnchorSeq
        : throw new InvalidOperationException($"the summary keeps the hash of record {anchorSeq} only, not of {seq}");
}
