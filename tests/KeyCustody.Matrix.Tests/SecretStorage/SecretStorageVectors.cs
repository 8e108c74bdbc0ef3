using System.Text;
using System.Text.Json;
using KeyCustody.Matrix.Json;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Matrix.Tests.SecretStorage;

/// <summary>tests/vectors/secret-storage-js-sdk.json (written by matrix-js-sdk), read with System.Text.Json.</summary>
internal static class SecretStorageVectors
{
    private static readonly Lazy<JsonDocument> Doc = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Vectors, "secret-storage-js-sdk.json"))));

    public static JsonElement Root => Doc.Value.RootElement;

    public static JsonElement RecoveryKeyVector => Root.GetProperty("recovery_key");

    public static JsonElement PassphraseVector => Root.GetProperty("passphrase");

    public static byte[] Seed(string secret) => Convert.FromHexString(Root.GetProperty("seeds_hex").GetProperty(secret).GetString()!);

    /// <summary>An account-data entry of a vector, as our strict reader sees it.</summary>
    public static JsonObject AccountData(JsonElement vector, string type) =>
        CanonicalJson.ParseObject(Encoding.UTF8.GetBytes(vector.GetProperty("account_data").GetProperty(type).GetRawText()));
}
