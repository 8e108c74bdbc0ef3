using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Bench;

/// <summary>
/// Canonicalise and sign, as python-canonicaljson and python-signedjson do, on the same inputs
/// (bench/data). Compared by bench/run-matrix.sh with the Python side measured in the same run.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, warmupCount: 3, iterationCount: 15)]
public class MatrixBenchmarks
{
    private byte[] _text = [];
    private JsonObject _tree = JsonObject.Empty;
    private byte[] _signingBytes = [];
    private readonly byte[] _signature = new byte[64];
    private Ed25519SoftwareKey _key = null!;

    [Params("device-keys", "keys-query")]
    public string Input { get; set; } = "device-keys";

    [GlobalSetup]
    public void Setup()
    {
        _text = BenchData.Read(Input);
        _tree = CanonicalJson.ParseObject(_text);
        _signingBytes = CanonicalJson.EncodeForSigning(_tree);
        _key = Ed25519SoftwareKey.FromSeed(System.Security.Cryptography.SHA256.HashData("keycustody-bench-signer"u8));
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    /// <summary>Tree to canonical bytes: python's encode_canonical_json(dict).</summary>
    [Benchmark]
    public byte[] Encode() => CanonicalJson.Encode(_tree);

    /// <summary>JSON text to canonical bytes: python's encode_canonical_json(json.loads(text)).</summary>
    [Benchmark]
    public byte[] ParseAndEncode() => CanonicalJson.Canonicalize(_text);

    /// <summary>python-signedjson's sign_json(dict, name, key).</summary>
    [Benchmark]
    public JsonObject SignJson() => SignedJson.Sign(_tree, "@alice:example.org", "JLAFKJWSCS", _key);

    /// <summary>The limit: a bare Ed25519 signature of the same canonical bytes.</summary>
    [Benchmark]
    public byte[] BareEd25519()
    {
        _key.Sign(_signingBytes, _signature);
        return _signature;
    }
}
