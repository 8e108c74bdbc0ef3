using System.Buffers;
using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;
using Xunit;

namespace KeyCustody.Daemon.Tests;

/// <summary>The chain's record format: a sealed line is the canonical encoding of the record with seq, prev and hash.</summary>
public sealed class AuditChainTests
{
    public static TheoryData<string> Records => new()
    {
        """{"kind":"intent","payload_sha256":["ab","cd"],"principal":"uid:1000"}""",
        """{"anchor":{"hash":"0000000000000000000000000000000000000000000000000000000000000000","seq":0},"by":"x","decision":"allowed"}""",
        """{"a":1,"h":2,"has":3,"hasg":4,"hash0":5,"hasi":6,"z":7}""",
        """{"hash":"stale","kind":"test"}""",
        """{"\u00e9":"accent","\ud83d\ude00":"emoji","g":"before"}""",
        """{}""",
        """{"kind":"x \"hash\":\"y\",","n":-12}""",
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void A_sealed_line_is_the_canonical_encoding_of_the_record_with_its_hash(string json)
    {
        var record = CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(json));
        var (line, hash) = AuditChain.Seal(record, 42, AuditChain.Genesis);

        var body = record.Without("hash").With("seq", 42L).With("prev", AuditChain.Genesis);
        Assert.Equal(AuditChain.Hash(body), hash);
        Assert.Equal(CanonicalJson.Encode(body.With("hash", hash)), line);
    }

    [Fact]
    public void A_line_sealed_into_a_pooled_buffer_after_a_larger_one_holds_only_its_own_bytes()
    {
        // A batch's intent lists every payload: the pooled arrays a large record used are handed to the next record.
        var large = JsonObject.Of(("kind", "intent"), ("payload_sha256", new JsonArray(Enumerable.Range(0, 2000).Select(i => (JsonValue)new string('f', 64)).ToArray())));
        string largeHash;
        using (var first = new AuditBuffer())
        {
            largeHash = AuditChain.Seal(large, 1, AuditChain.Genesis, first);
        }

        var small = JsonObject.Of(("kind", "outcome"), ("outcome", "signed"));
        using var line = new AuditBuffer();
        var hash = AuditChain.Seal(small, 2, largeHash, line);

        var body = small.With("seq", 2L).With("prev", largeHash);
        Assert.Equal(AuditChain.Hash(body), hash);
        Assert.Equal(CanonicalJson.Encode(body.With("hash", hash)), line.WrittenSpan.ToArray());
    }

    [Fact]
    public void Lines_sealed_one_after_another_into_one_buffer_are_each_their_record()
    {
        var records = new[]
        {
            JsonObject.Of(("kind", "intent"), ("intent", new string('x', 100_000))),
            JsonObject.Of(("kind", "outcome"), ("n", 7L)),
            JsonObject.Of(("approver", "uid:1001"), ("kind", "approval")),
        };
        using var buffer = new AuditBuffer(16);
        var prev = AuditChain.Genesis;
        var expected = new List<byte>();
        for (var i = 0; i < records.Length; i++)
        {
            var hash = AuditChain.Seal(records[i], i + 1, prev, buffer);
            buffer.Write("\n"u8);
            expected.AddRange(CanonicalJson.Encode(records[i].With("seq", (long)(i + 1)).With("prev", prev).With("hash", hash)));
            expected.Add((byte)'\n');
            prev = hash;
        }

        Assert.Equal(expected.ToArray(), buffer.WrittenSpan.ToArray());
        using var stream = new MemoryStream(buffer.WrittenSpan.ToArray());
        Assert.True(AuditChain.Verify(stream).Valid);
    }
}
