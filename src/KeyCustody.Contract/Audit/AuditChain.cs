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

    /// <summary>Checks every line of an audit log, reading it line by line; names the first broken record.</summary>
    public static AuditVerification Verify(Stream log) => Verify(log, null);

    /// <summary>
    /// Checks every line of an audit log, reading it line by line, and hands each record that chains to
    /// <paramref name="eachRecord"/> in order (what else is gathered from the log, in the same pass); names the first broken record.
    /// </summary>
    public static AuditVerification Verify(Stream log, Action<JsonObject>? eachRecord) => Verify(new AuditLineReader(log), eachRecord);

    /// <summary>As <see cref="Verify(Stream, Action{JsonObject}?)"/>, through <paramref name="reader"/>.</summary>
    public static AuditVerification Verify(AuditLineReader reader, Action<JsonObject>? eachRecord)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var verifier = new AuditChainVerifier();
        try
        {
            while (reader.TryReadLine(out var line))
            {
                if (!verifier.TryAdd(line, out var record, out var broken))
                {
                    return broken;
                }

                eachRecord?.Invoke(record);
            }
        }
        catch (InvalidDataException e)
        {
            // A line too long to hold (no record is): the chain is broken there, as its callers report a broken chain.
            return verifier.Unreadable(e.Message);
        }

        return reader.TornTail.IsEmpty ? verifier.Valid : verifier.TornTail;
    }

    /// <summary>LF-separated lines; <paramref name="tornTail"/> is set when the data does not end with LF.</summary>
    public static List<byte[]> ReadLines(Stream log, out bool tornTail)
    {
        var reader = new AuditLineReader(log);
        var lines = new List<byte[]>();
        while (reader.TryReadLine(out var line))
        {
            lines.Add(line.ToArray());
        }

        tornTail = !reader.TornTail.IsEmpty;
        return lines;
    }
}

/// <summary>The result of <see cref="AuditChain.Verify(Stream)"/>.</summary>
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
