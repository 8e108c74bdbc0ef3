using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Audit;

/// <summary>
/// The audit log file as found at start: a torn last line from a crash is cut off (that record never completed); a last
/// record complete but for its newline is kept; the whole chain is verified (broken: the start is refused). It is read once,
/// line by line, each record handed on as it is verified (the continuity summary, the requests whose intent has no
/// outcome): memory is bounded by the longest line, not by the log.
/// </summary>
internal static class AuditFileRepair
{
    /// <summary>
    /// The chain's verification and the start record saying what was found; each record of the chain as repaired goes to
    /// <paramref name="eachRecord"/>, in order (records before a broken one too: the start is refused then).
    /// </summary>
    public static (AuditVerification Check, JsonObject Start) Repair(FileStream file, string path, Action<JsonObject> eachRecord)
    {
        var tornBytes = TornTailLength(file);
        file.Position = 0;
        var reader = new AuditLineReader(file);
        var verifier = new AuditChainVerifier();
        AuditVerification? broken = null;
        while (broken is null && reader.TryReadLine(out var line))
        {
            if (verifier.TryAdd(line, out var record, out broken))
            {
                eachRecord(record);
            }
        }

        var keptUnterminated = false;
        if (tornBytes > 0 && broken is null && verifier.TryAdd(reader.TornTail, out var last, out _))
        {
            // A whole record that only lacks its newline (an editor, a copy) is part of the chain: it is kept.
            eachRecord(last);
            file.Seek(0, SeekOrigin.End);
            file.WriteByte((byte)'\n');
            file.Flush(flushToDisk: true);
            (tornBytes, keptUnterminated) = (0, true);
        }
        else if (tornBytes > 0)
        {
            // A crash cut the last write short: that record never completed, so it is not part of the chain.
            file.SetLength(file.Length - tornBytes);
            file.Flush(flushToDisk: true);
        }

        if (broken is not null)
        {
            throw new InvalidDataException($"the audit log {path} is broken at line {broken.BrokenLine} (seq {broken.BrokenSeq}): {broken.Problem}. " +
                "Keep it as evidence, move it aside, and start again with a new log.");
        }

        var check = verifier.Valid;
        var start = JsonObject.Of(("kind", AuditKinds.Start), ("records", check.Records), ("torn_bytes_removed", tornBytes));
        return (check, keptUnterminated ? start.With("kept_record_without_newline", true) : start);
    }

    /// <summary>The bytes after the file's last LF (all of it when it has none), found by reading back from its end.</summary>
    private static long TornTailLength(FileStream file)
    {
        var lastNewline = -1L;
        AuditTail.ScanBack(file.SafeFileHandle, file.Length, AuditLineReader.DefaultBufferSize, lf =>
        {
            lastNewline = lf;
            return false;
        });
        return file.Length - (lastNewline + 1);
    }
}
