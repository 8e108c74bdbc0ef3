using KeyCustody.Contract.Audit;
using KeyCustody.Daemon.Audit;
using KeyCustody.Matrix.Json;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The start's one pass over the log (torn tail read back from the end of the file, the chain, the anchor's summary, the
/// open intents), with records longer than the reader's first buffer and than one read back from the end.
/// </summary>
public sealed class AuditLogStartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audit-log-start-").FullName;

    private string LogPath => Path.Combine(_dir, "audit.jsonl");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_torn_last_line_longer_than_a_read_back_is_cut_whole_and_its_request_is_interrupted()
    {
        using (var log = AuditLog.Open(LogPath))
        {
            log.Append(Intent("r-1", 3_000));
        }

        var torn = "{\"kind\":\"outcome\",\"pad\":\"" + new string('x', 3 * AuditLineReader.DefaultBufferSize);
        File.AppendAllText(LogPath, torn);
        using (var log = AuditLog.Open(LogPath))
        {
            Assert.Equal(4, log.LastSeq);
        }

        var records = Records();
        Assert.Equal(torn.Length, ((JsonInteger)records[2]["torn_bytes_removed"]!).Value);
        Assert.Equal(["r-1"], ((JsonArray)records[2]["interrupted"]!).Select(v => ((JsonString)v).Value));
        Assert.Equal("interrupted", records[3].GetString("outcome"));
    }

    [Fact]
    public void A_last_record_longer_than_a_read_back_and_without_its_newline_is_kept_and_its_intent_counted()
    {
        using (var log = AuditLog.Open(LogPath))
        {
            log.Append(JsonObject.Of(("kind", "test")));
        }

        // A batch's intent (every payload listed) that only lacks its newline: copied by a tool that dropped it.
        var (line, _) = AuditChain.Seal(Intent("r-2", 3_000), 3, Head());
        Assert.True(line.Length > 2 * AuditLineReader.DefaultBufferSize);
        using (var file = new FileStream(LogPath, FileMode.Append))
        {
            file.Write(line);
        }

        using (var log = AuditLog.Open(LogPath))
        {
            Assert.Equal(5, log.LastSeq);
        }

        var records = Records();
        Assert.Equal("r-2", records[2].GetString("request_id"));
        Assert.True(((JsonBoolean)records[3]["kept_record_without_newline"]!).Value);
        Assert.Equal(0L, ((JsonInteger)records[3]["torn_bytes_removed"]!).Value);
        Assert.Equal(["r-2"], ((JsonArray)records[3]["interrupted"]!).Select(v => ((JsonString)v).Value));
    }

    [Fact]
    public void A_broken_record_before_a_torn_tail_refuses_the_start_at_its_line()
    {
        using (var log = AuditLog.Open(LogPath))
        {
            log.Append(JsonObject.Of(("kind", "test"), ("n", 1L)));
            log.Append(JsonObject.Of(("kind", "test"), ("n", 2L)));
        }

        var lines = File.ReadAllLines(LogPath);
        lines[1] = lines[1].Replace("\"n\":1", "\"n\":7", StringComparison.Ordinal);
        File.WriteAllText(LogPath, string.Join('\n', lines) + "\n{\"kind\":\"te");
        var e = Assert.Throws<InvalidDataException>(() => AuditLog.Open(LogPath));
        Assert.Contains("broken at line 2 (seq 2): hash does not match", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_replaced_by_another_chain_as_long_is_refused_at_the_anchors_record()
    {
        var anchoring = new AuditAnchoring(Path.Combine(_dir, AuditAnchor.FileName), StateRemains: false, Accept: null, AcceptedBy: "test");
        using (var log = AuditLog.Open(LogPath, anchoring: anchoring))
        {
            log.Append(JsonObject.Of(("kind", "test"), ("n", 1L)));
            log.Append(JsonObject.Of(("kind", "test"), ("n", 2L)));
        }

        // Another chain of as many records (the anchor's seq is the last): every record is there, but not this log's.
        var prev = AuditChain.Genesis;
        using (var file = new FileStream(LogPath, FileMode.Create))
        {
            for (var seq = 1; seq <= 3; seq++)
            {
                (var line, prev) = AuditChain.Seal(JsonObject.Of(("kind", "other")), seq, prev);
                file.Write(line);
                file.WriteByte((byte)'\n');
            }
        }

        var e = Assert.Throws<InvalidDataException>(() => AuditLog.Open(LogPath, anchoring: anchoring));
        Assert.Contains($"record seq 3 of the audit log {LogPath} has hash {prev}", e.Message, StringComparison.Ordinal);
        Assert.Contains("--accept-audit-gap 3", e.Message, StringComparison.Ordinal);
    }

    private static JsonObject Intent(string id, int payloads) => JsonObject.Of(("kind", "intent"), ("request_id", id),
        ("payload_sha256", new JsonArray(Enumerable.Range(0, payloads).Select(i => (JsonValue)i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture)).ToArray())));

    private List<JsonObject> Records() => File.ReadAllLines(LogPath).Select(l => CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(l))).ToList();

    private string Head() => Records()[^1].GetString("hash")!;
}
