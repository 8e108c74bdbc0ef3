using System.Buffers;
using System.Security.Cryptography;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Contract.Audit;

/// <summary>
/// The audit log's format: one canonical JSON object per line. Each record carries <c>seq</c>
/// (1, 2, ...), <c>prev</c> (the previous record's hash; 64 zeros for the first) and <c>hash</c>, the
/// hex SHA-256 of the record's canonical JSON without its own <c>hash</c> member. Editing, removing
/// or reordering any record breaks every hash after it.
/// </summary>
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Completes <paramref name="record"/> with seq, prev and hash; returns the line to append (without newline).</summary>
    public static (byte[] Line, string Hash) Seal(JsonObject record, long seq, string prev)
    {
        using var line = new AuditBuffer();
        var hash = Seal(record, seq, prev, line);
        return (line.WrittenSpan.ToArray(), hash);
    }

    /// <summary>
    /// Completes <paramref name="record"/> with seq, prev and hash and appends its line (without newline) to
    /// <paramref name="line"/>; returns the hash. The body is encoded once, in the encoder's pooled buffer, and hashed and
    /// copied from there.
    /// </summary>
    public static string Seal(JsonObject record, long seq, string prev, IBufferWriter<byte> line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var body = record.Without("hash").With("seq", seq).With("prev", prev);
        return CanonicalJson.WithEncoding(body, (body, line), static (encoded, s) =>
        {
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(encoded, digest);
            var hash = Convert.ToHexStringLower(digest);
            WriteWithHashMember(s.body, encoded, hash, s.line);
            return hash;
        });
    }

    /// <summary>
    /// The line: the body's canonical bytes with the <c>hash</c> member put in at its place (canonical JSON orders an
    /// object's members by key, with nothing between them but commas), so the body is encoded once, not twice: a batch's
    /// intent record lists every payload. Equal to encoding the body with the member (<c>AuditChainTests</c>).
    /// </summary>
    private static void WriteWithHashMember(JsonObject body, ReadOnlySpan<byte> bodyBytes, string hash, IBufferWriter<byte> line)
    {
        // Keys compare by code point; "hash" is ASCII, so UTF-16 ordinal order agrees with UTF-8 byte order here.
        var names = body.PropertyNames.ToArray();
        var before = names.Count(k => string.CompareOrdinal(k, "hash") < 0);
        var prefix = before == 0 ? 1 : CanonicalJson.Encode(body.Without(names.AsSpan(before))).Length - 1;

        // ,"hash":"<64 hex>" after a member, or "hash":"<64 hex>", before one.
        Span<byte> member = stackalloc byte[2 + 8 + 64 + 1];
        var n = 0;
        if (before > 0)
        {
            member[n++] = (byte)',';
        }

        "\"hash\":\""u8.CopyTo(member[n..]);
        n += 8;
        n += System.Text.Encoding.ASCII.GetBytes(hash, member[n..]);
        member[n++] = (byte)'"';
        if (before == 0 && names.Length > 0)
        {
            member[n++] = (byte)',';
        }

        line.Write(bodyBytes[..prefix]);
        line.Write(member[..n]);
        line.Write(bodyBytes[prefix..]);
    }

    public static string Hash(JsonObject recordWithoutHash) => Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Encode(recordWithoutHash)));

    /// <summary>Checks every line of an audit log; names the first broken record.</summary>
    public static AuditVerification Verify(Stream log)
    {
        var prev = Genesis;
        long expectedSeq = 1;
        var line = 0;
        var lines = ReadLines(log, out var tornTail);
        foreach (var bytes in lines)
        {
            line++;
            JsonObject record;
            try
            {
                record = CanonicalJson.ParseObject(bytes);
            }
            catch (FormatException e)
            {
                return AuditVerification.Broken(line, expectedSeq, $"not a JSON record: {e.Message}{NotALog(line)}");
            }

            if (record["seq"] is not JsonInteger seq)
            {
                return AuditVerification.Broken(line, expectedSeq, $"not an audit record: it has no integer seq{NotALog(line)}");
            }

            if (!CanonicalJson.Encode(record).AsSpan().SequenceEqual(bytes))
            {
                return AuditVerification.Broken(line, expectedSeq, "not in canonical form (edited by hand?)");
            }

            if (seq.Value != expectedSeq)
            {
                return AuditVerification.Broken(line, expectedSeq, $"seq is {seq.Value}, expected {expectedSeq} (a record was removed, added or reordered)");
            }

            if (record.GetString("prev") != prev)
            {
                return AuditVerification.Broken(line, expectedSeq, "prev does not match the previous record's hash (a record before it was changed or removed)");
            }

            var hash = record.GetString("hash");
            if (hash is null || hash != Hash(record.Without("hash")))
            {
                return AuditVerification.Broken(line, expectedSeq, "hash does not match the record's content (the record was changed)");
            }

            prev = hash;
            expectedSeq++;
        }

        return tornTail
            ? AuditVerification.Broken(line + 1, expectedSeq, "the last line is incomplete (a write was cut off)")
            : new AuditVerification(true, line, null, null, prev);
    }

    /// <summary>On the first line, a record that is no audit record most likely means the file is something else.</summary>
    private static string NotALog(int line) => line == 1 ? " (is this a keycustodyd audit log? it is audit.jsonl in the daemon's state directory)" : string.Empty;

    /// <summary>LF-separated lines; <paramref name="tornTail"/> is set when the data does not end with LF.</summary>
    public static List<byte[]> ReadLines(Stream log, out bool tornTail)
    {
        using var ms = new MemoryStream();
        log.CopyTo(ms);
        var data = ms.GetBuffer().AsSpan(0, (int)ms.Length);
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == '\n')
            {
                lines.Add(data[start..i].ToArray());
                start = i + 1;
            }
        }

        tornTail = start < data.Length;
        return lines;
    }
}

/// <summary>The result of <see cref="AuditChain.Verify"/>.</summary>
/// <param name="Valid">True when every record chains.</param>
/// <param name="Records">Records read (up to the broken one).</param>
/// <param name="BrokenLine">1-based line of the first broken record.</param>
/// <param name="Problem">What is wrong with it.</param>
/// <param name="HeadHash">The last record's hash when valid.</param>
public sealed record AuditVerification(bool Valid, int Records, int? BrokenLine, string? Problem, string? HeadHash)
{
    public long? BrokenSeq { get; init; }

    internal static AuditVerification Broken(int line, long seq, string problem) =>
        new(false, line - 1, line, problem, null) { BrokenSeq = seq };
}
