using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim;

/// <summary>An answer: the HTTP status and the JSON body.</summary>
public readonly record struct Answer(int Status, JsonObject Body)
{
    public static Answer Ok(JsonObject body) => new(200, body);

    public static Answer Ok() => new(200, JsonObject.Empty);
}

/// <summary>Matrix errors as Synapse words them: <c>{errcode, error}</c>, and its <c>failures</c> entries.</summary>
public static class MatrixError
{
    public static Answer Of(int status, string errcode, string error) => new(status, JsonObject.Of(("errcode", errcode), ("error", error)));

    public static Answer NotJson() => Of(400, "M_NOT_JSON", "Content not JSON.");

    public static Answer Unrecognized() => Of(404, "M_UNRECOGNIZED", "Unrecognized request");

    public static Answer Forbidden(string error) => Of(403, "M_FORBIDDEN", error);

    public static Answer InvalidParam(string error) => Of(400, "M_INVALID_PARAM", error);

    /// <summary>
    /// One entry of a <c>failures</c> map. Synapse's <c>_exception_to_failure</c>: <c>{status, errcode, message}</c> with
    /// the message prefixed by the status ("404: Unknown device"); the spec's own shape is <c>{errcode, error}</c>.
    /// </summary>
    public static JsonObject Failure(int status, string? errcode, string error, bool specStyle) => specStyle
        ? JsonObject.Of(("errcode", errcode ?? "M_UNKNOWN"), ("error", error))
        : JsonObject.Of(("status", status), ("errcode", errcode ?? "M_UNKNOWN"), ("message", $"{status}: {error}"));
}
