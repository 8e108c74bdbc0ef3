using System.Text.Json;

namespace KeyCustody.Cli.Publishing;

/// <summary>A homeserver's answer: the HTTP status and, when it is JSON, the body.</summary>
internal sealed record HomeserverResponse(int Status, JsonElement? Body)
{
    public string? ErrCode => String(Body, "errcode");

    /// <summary>What the homeserver said: the spec's <c>error</c>, else Synapse's <c>message</c>.</summary>
    public string? Error => String(Body, "error") ?? String(Body, "message");

    /// <summary>The member as a string, or null when absent, not a string, or not an object.</summary>
    public static string? String(JsonElement? obj, string name) =>
        obj is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>"400 M_INVALID_SIGNATURE: Invalid signature", or as much of it as the homeserver gave.</summary>
    public string Describe() => Describe(Status, ErrCode, Error);

    public static string Describe(int? status, string? errCode, string? error)
    {
        var head = string.Join(' ', new[] { status?.ToString(System.Globalization.CultureInfo.InvariantCulture), errCode }.Where(s => s is not null));
        return OneLine(error is { Length: > 0 } ? $"{head}: {error}" : head);
    }

    /// <summary>The exception for an answer that is not the one hoped for: 5xx and 429 are "unavailable", the rest "no".</summary>
    public HomeserverException Refusal(string what) => new(
        Status is >= 500 or 429 ? ExitCodes.Unavailable : ExitCodes.No,
        $"{what}: {Describe()}",
        Status,
        ErrCode);

    /// <summary>Text from the homeserver goes on one line and without control characters (it reaches a terminal).</summary>
    public static string OneLine(string text) =>
        new(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
}
