using System.Text;
using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using StjDocument = System.Text.Json.JsonDocument;
using StjElement = System.Text.Json.JsonElement;

namespace KeyCustody.Tests.Shared;

/// <summary>The known-answer vectors (tests/vectors/matrix-signing.json), read with System.Text.Json so the loader is independent of the code under test.</summary>
internal static class TestData
{
    private static readonly Lazy<StjDocument> Doc = new(() =>
        StjDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Vectors, "matrix-signing.json"))));

    public static StjElement Root => Doc.Value.RootElement;

    public static StjElement CrossSigning => Root.GetProperty("cross_signing");

    public static JsonObject Object(string name) =>
        CanonicalJson.ParseObject(Encoding.UTF8.GetBytes(CrossSigning.GetProperty("objects").GetProperty(name).GetRawText()));

    public static string PublicKey(string name) => CrossSigning.GetProperty("public_keys").GetProperty(name).GetString()!;

    public static Ed25519SoftwareKey Key(string seedName)
    {
        var seedText = CrossSigning.GetProperty("seeds").GetProperty(seedName).GetString()!;
        var seed = seedName.EndsWith("_ascii", StringComparison.Ordinal) ? Encoding.ASCII.GetBytes(seedText) : UnpaddedBase64.Decode(seedText);
        return Ed25519SoftwareKey.FromSeed(seed);
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    public static JsonObject Parse(string json) => CanonicalJson.ParseObject(Utf8(json));

    public static string Canonical(JsonValue v) => Text(CanonicalJson.Encode(v));
}
