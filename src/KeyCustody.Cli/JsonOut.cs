using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli;

/// <summary>--json output: canonical JSON on stdout, one document per command.</summary>
internal static class JsonOut
{
    public static JsonObject Object(params ReadOnlySpan<(string Key, JsonValue Value)> members) => JsonObject.Of(members);

    public static JsonArray Array(IEnumerable<string> items) => new(items.Select(i => (JsonValue)i).ToArray());

    public static int Write(JsonValue value)
    {
        using var output = CliIo.OpenOutput();
        CliIo.WriteLine(output, CanonicalJson.Encode(value));
        return ExitCodes.Ok;
    }

    public static int Write(IEnumerable<JsonObject> items) => Write(new JsonArray(items.ToArray()));
}
