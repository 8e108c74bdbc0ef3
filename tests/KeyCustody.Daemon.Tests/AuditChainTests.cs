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
}
