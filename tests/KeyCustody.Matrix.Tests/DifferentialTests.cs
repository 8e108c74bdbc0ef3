using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace KeyCustody.Matrix.Tests;

/// <summary>
/// Byte-for-byte agreement with matrix-org's python-canonicaljson and python-signedjson over 10,000
/// generated awkward documents per run. The seed is new every run (printed; set
/// KEYCUSTODY_DIFF_SEED to replay one).
/// </summary>
public class DifferentialTests(ITestOutputHelper output)
{
    public const int Documents = 10_000;

    internal static int Seed()
    {
        var fixedSeed = Environment.GetEnvironmentVariable("KEYCUSTODY_DIFF_SEED");
        return fixedSeed is null ? Random.Shared.Next() : int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Canonical_bytes_equal_python_canonicaljson()
    {
        var seed = Seed();
        output.WriteLine($"seed {seed}");
        var gen = new AwkwardJson(seed);
        var trees = Enumerable.Range(0, Documents).Select(_ => (JsonValue)gen.Document(signingMembers: false)).ToList();
        var inputs = trees.Select(gen.Noisy).ToList();
        var python = PythonOracle.Canonicalize(inputs);
        for (var i = 0; i < Documents; i++)
        {
            var ours = CanonicalJson.Canonicalize(inputs[i]);
            Assert.True(python[i].AsSpan().SequenceEqual(ours),
                $"seed {seed}, document {i}:\n input  {PythonOracle.Show(inputs[i])}\n python {PythonOracle.Show(python[i])}\n ours   {PythonOracle.Show(ours)}");
            Assert.Equal(CanonicalJson.Encode(trees[i]), ours);
        }
    }

    [Fact]
    public void Signed_json_equals_python_signedjson()
    {
        var seed = Seed();
        output.WriteLine($"seed {seed}");
        var gen = new AwkwardJson(seed);
        var seedBytes = new byte[32];
        new Random(seed).NextBytes(seedBytes);
        using var key = Ed25519SoftwareKey.FromSeed(seedBytes);
        var inputs = Enumerable.Range(0, Documents).Select(_ => gen.Noisy(gen.Document(signingMembers: true))).ToList();
        var python = PythonOracle.Sign(inputs, UnpaddedBase64.Encode(seedBytes), "domain", "1");
        for (var i = 0; i < Documents; i++)
        {
            var ours = CanonicalJson.Encode(SignedJson.Sign(CanonicalJson.ParseObject(inputs[i]), "domain", "1", key));
            Assert.True(python[i].AsSpan().SequenceEqual(ours),
                $"seed {seed}, document {i}:\n input  {PythonOracle.Show(inputs[i])}\n python {PythonOracle.Show(python[i])}\n ours   {PythonOracle.Show(ours)}");
        }
    }

    [Theory]
    [InlineData("{\"a\": \"\\ud800\"}")]
    [InlineData("{\"a\": NaN}")]
    [InlineData("{\"a\": Infinity}")]
    [InlineData("[\"\\udc00\"]")]
    public void Both_refuse_what_python_refuses(string input)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(input);
        var python = PythonOracle.Canonicalize([bytes]);
        Assert.StartsWith("error: ", PythonOracle.Show(python[0]), StringComparison.Ordinal);
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Canonicalize(bytes));
    }
}
