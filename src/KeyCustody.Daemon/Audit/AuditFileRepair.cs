using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Audit;

/// <summary>
/// The audit log file as found at start: a torn last line from a crash is cut off (that record never completed); a last
/// record complete but for its newline is kept; then the whole chain is verified (broken: the start is refused); and the
/// requests whose intent has no outcome are found (they were interrupted).
/// </summary>
internal static class AuditFileRepair
{
    /// <summary>The complete lines, the chain's verification, and the start record saying what was found.</summary>
    public static (List<byte[]> Lines, AuditVerification Check, JsonObject Start) Repair(FileStream file, string path)
    {
        var lines = AuditChain.ReadLines(file, out var torn);
        var completeLength = lines.Sum(l => (long)l.Length + 1);
        var tornBytes = file.Length - completeLength;
        var keptUnterminated = false;
        if (torn && CompletesChain(file))
        {
            // A whole record that only lacks its newline (an editor, a copy) is part of the chain: it is kept.
            file.Seek(0, SeekOrigin.End);
            file.WriteByte((byte)'\n');
            file.Flush(flushToDisk: true);
            file.Position = 0;
            lines = AuditChain.ReadLines(file, out _);
            (tornBytes, keptUnterminated) = (0, true);
        }
        else if (torn)
        {
            // A crash cut the last write short: that record never completed, so it is not part of the chain.
            file.SetLength(completeLength);
            file.Flush(flushToDisk: true);
        }

        file.Position = 0;
        var check = AuditChain.Verify(file);
        if (!check.Valid)
        {
            throw new InvalidDataException($"the audit log {path} is broken at line {check.BrokenLine} (seq {check.BrokenSeq}): {check.Problem}. " +
                "Keep it as evidence, move it aside, and start again with a new log.");
        }

        var start = JsonObject.Of(("kind", AuditKinds.Start), ("records", check.Records), ("torn_bytes_removed", tornBytes));
        return (lines, check, keptUnterminated ? start.With("kept_record_without_newline", true) : start);
    }

    /// <summary>Request ids with an intent record and no outcome record.</summary>
    public static List<string> OpenIntents(List<byte[]> lines)
    {
        var open = new List<string>();
        foreach (var line in lines)
        {
            var record = CanonicalJson.ParseObject(line);
            var id = record.GetString("request_id");
            switch (record.GetString("kind"))
            {
                case AuditKinds.Intent when id is not null:
                    open.Add(id);
                    break;
                case AuditKinds.Outcome when id is not null:
                    open.Remove(id);
                    break;
            }
        }

        return open;
    }

    /// <summary>True when the log's bytes plus one newline make a whole, valid chain.</summary>
    private static bool CompletesChain(FileStream file)
    {
        file.Position = 0;
        using var candidate = new MemoryStream();
        file.CopyTo(candidate);
        candidate.WriteByte((byte)'\n');
        candidate.Position = 0;
        return AuditChain.Verify(candidate).Valid;
    }
}
