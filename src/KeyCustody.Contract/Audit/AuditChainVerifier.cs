using System.Diagnostics.CodeAnalysis;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Contract.Audit;

/// <summary>
/// Checks an audit log's lines one at a time, in order (what <see cref="AuditChain.Verify(Stream)"/> does as it reads), so a
/// log of any size is checked in one pass holding one line. A line that does not chain leaves the state as it was.
/// </summary>
public sealed class AuditChainVerifier
{
    private long _expectedSeq = 1;

    /// <summary>Records that chained so far.</summary>
    public int Records { get; private set; }

    /// <summary>The last chained record's hash (the genesis hash before the first).</summary>
    public string Head { get; private set; } = AuditChain.Genesis;

    /// <summary>The verification of the records so far: every one chained.</summary>
    public AuditVerification Valid => new(true, Records, null, null, Head);

    /// <summary>The verification of a log that ends, after the records so far, in a line without its LF.</summary>
    public AuditVerification TornTail => AuditVerification.Broken(Records + 1, _expectedSeq, "the last line is incomplete (a write was cut off)");

    /// <summary>The verification of a log whose next line cannot be read as a line (<paramref name="problem"/> says why).</summary>
    public AuditVerification Unreadable(string problem) => AuditVerification.Broken(Records + 1, _expectedSeq, problem);

    /// <summary>
    /// Checks the next line: true with its <paramref name="record"/> when it chains (it becomes the head), else false with
    /// what is wrong in <paramref name="broken"/>.
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> line, [NotNullWhen(true)] out JsonObject? record, [NotNullWhen(false)] out AuditVerification? broken)
    {
        var number = Records + 1;
        record = null;
        JsonObject parsed;
        try
        {
            parsed = CanonicalJson.ParseObject(line);
        }
        catch (FormatException e)
        {
            broken = AuditVerification.Broken(number, _expectedSeq, $"not a JSON record: {e.Message}{NotALog(number)}");
            return false;
        }

        broken = Check(parsed, line, number);
        if (broken is not null)
        {
            return false;
        }

        record = parsed;
        Head = record.GetString("hash")!;
        Records = number;
        _expectedSeq++;
        return true;
    }

    private AuditVerification? Check(JsonObject record, ReadOnlySpan<byte> line, int number)
    {
        if (record["seq"] is not JsonInteger seq)
        {
            return AuditVerification.Broken(number, _expectedSeq, $"not an audit record: it has no integer seq{NotALog(number)}");
        }

        if (!CanonicalJson.Encode(record).AsSpan().SequenceEqual(line))
        {
            return AuditVerification.Broken(number, _expectedSeq, "not in canonical form (edited by hand?)");
        }

        if (seq.Value != _expectedSeq)
        {
            return AuditVerification.Broken(number, _expectedSeq, $"seq is {seq.Value}, expected {_expectedSeq} (a record was removed, added or reordered)");
        }

        if (record.GetString("prev") != Head)
        {
            return AuditVerification.Broken(number, _expectedSeq, "prev does not match the previous record's hash (a record before it was changed or removed)");
        }

        var hash = record.GetString("hash");
        return hash is null || hash != AuditChain.Hash(record.Without("hash"))
            ? AuditVerification.Broken(number, _expectedSeq, "hash does not match the record's content (the record was changed)")
            : null;
    }

    /// <summary>On the first line, a record that is no audit record most likely means the file is something else.</summary>
    private static string NotALog(int line) => line == 1 ? " (is this a keycustodyd audit log? it is audit.jsonl in the daemon's state directory)" : string.Empty;
}
