using System.Text.Json;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Publishing;

/// <summary>One signed object of a <c>/keys/signatures/upload</c> body and what the homeserver said about it.</summary>
internal sealed record SignatureResult(string UserId, string Key, bool Accepted, int? Status, string? ErrCode, string? Error)
{
    public string Describe() => Accepted
        ? $"{UserId} {Key}: accepted"
        : $"{UserId} {Key}: refused: {HomeserverResponse.Describe(Status, ErrCode, Error)}";

    public JsonObject ToJson()
    {
        var obj = JsonObject.Of(("user_id", UserId), ("key", Key), ("accepted", Accepted));
        if (Status is { } s)
        {
            obj = obj.With("status", s);
        }

        if (ErrCode is not null)
        {
            obj = obj.With("errcode", ErrCode);
        }

        return Error is not null ? obj.With("error", Error) : obj;
    }
}

/// <summary>
/// Reads the <c>failures</c> map of a <c>/keys/signatures/upload</c> answer (user → key → error) against the
/// uploaded body. The error object's shape is not fixed by the spec: it has <c>errcode</c> and <c>error</c>;
/// Synapse sends <c>status</c>, <c>errcode</c> and <c>message</c> instead (matrix-signing.md §3.4). Both are read.
/// </summary>
internal static class SignatureResults
{
    public static List<SignatureResult> Read(JsonObject uploaded, JsonElement? answer)
    {
        var failures = new Dictionary<(string, string), SignatureResult>();
        if (answer is { ValueKind: JsonValueKind.Object } a && a.TryGetProperty("failures", out var map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (var user in map.EnumerateObject().Where(u => u.Value.ValueKind == JsonValueKind.Object))
            {
                foreach (var key in user.Value.EnumerateObject())
                {
                    var error = key.Value;
                    var status = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("status", out var st) && st.TryGetInt32(out var n) ? n : (int?)null;
                    failures[(user.Name, key.Name)] = new SignatureResult(
                        HomeserverResponse.OneLine(user.Name),
                        HomeserverResponse.OneLine(key.Name),
                        false,
                        status,
                        HomeserverResponse.String(error, "errcode"),
                        HomeserverResponse.String(error, "error") ?? HomeserverResponse.String(error, "message"));
                }
            }
        }

        var results = new List<SignatureResult>();
        foreach (var (userId, keys) in uploaded)
        {
            foreach (var key in (keys as JsonObject)?.PropertyNames ?? [])
            {
                results.Add(failures.Remove((userId, key), out var failed) ? failed : new SignatureResult(userId, key, true, null, null, null));
            }
        }

        // Failures for keys that were not in the upload still count: the homeserver says something went wrong.
        results.AddRange(failures.Values.OrderBy(f => f.UserId, StringComparer.Ordinal).ThenBy(f => f.Key, StringComparer.Ordinal));
        return results;
    }
}
