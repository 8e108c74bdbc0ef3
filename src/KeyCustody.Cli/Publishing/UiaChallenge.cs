using System.Text.Json;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// A 401 user-interactive-authentication answer (spec "User-interactive authentication API"): the session,
/// the flows (lists of stages), the stages already completed, per-stage parameters, and the error of the last
/// attempt. A 401 without <c>flows</c> (<c>M_UNKNOWN_TOKEN</c>, <c>M_MISSING_TOKEN</c>) is not a challenge.
/// </summary>
internal sealed class UiaChallenge
{
    public const string Password = "m.login.password";

    /// <summary>MSC4312 (spec v1.17): approve the reset at the account-management URL, then retry.</summary>
    public const string OAuth = "m.oauth";

    /// <summary>MSC4312's unstable name, which Synapse with MAS sends.</summary>
    public const string OAuthUnstable = "org.matrix.cross_signing_reset";

    private static readonly string[] Supported = [Password, OAuth, OAuthUnstable];

    private readonly JsonElement _params;

    private UiaChallenge(string? session, List<List<string>> flows, List<string> completed, JsonElement parameters, string? errCode, string? error)
    {
        Session = session;
        Flows = flows;
        Completed = completed;
        _params = parameters;
        ErrCode = errCode;
        Error = error;
    }

    public string? Session { get; }

    public IReadOnlyList<IReadOnlyList<string>> Flows { get; }

    public IReadOnlyList<string> Completed { get; }

    public string? ErrCode { get; }

    public string? Error { get; }

    public static bool IsOAuth(string stage) => stage is OAuth or OAuthUnstable;

    public static bool TryParse(HomeserverResponse response, out UiaChallenge? challenge)
    {
        challenge = null;
        if (response.Status != 401 || response.Body is not { ValueKind: JsonValueKind.Object } body
            || !body.TryGetProperty("flows", out var flowsJson) || flowsJson.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var flows = new List<List<string>>();
        foreach (var flow in flowsJson.EnumerateArray())
        {
            if (flow.ValueKind == JsonValueKind.Object && flow.TryGetProperty("stages", out var stages) && stages.ValueKind == JsonValueKind.Array)
            {
                flows.Add(Strings(stages));
            }
        }

        var completed = body.TryGetProperty("completed", out var c) && c.ValueKind == JsonValueKind.Array ? Strings(c) : [];
        var parameters = body.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        challenge = new UiaChallenge(HomeserverResponse.String(body, "session"), flows, completed, parameters, response.ErrCode, response.Error);
        return true;
    }

    /// <summary>
    /// The next stage to complete: from the first flow made only of supported stages that contains every
    /// completed stage (a password flow first when <paramref name="preferPassword"/>); null when no flow fits.
    /// </summary>
    public string? NextStage(bool preferPassword)
    {
        var viable = Flows
            .Where(f => f.Count > 0 && f.All(s => Supported.Contains(s)) && Completed.All(f.Contains))
            .OrderBy(f => preferPassword && !f.Contains(Password) ? 1 : 0)
            .ToList();
        return viable.Select(f => f.FirstOrDefault(s => !Completed.Contains(s))).FirstOrDefault(s => s is not null);
    }

    /// <summary><c>params[stage].url</c>: where the person approves an m.oauth reset.</summary>
    public string? Url(string stage) =>
        _params.ValueKind == JsonValueKind.Object && _params.TryGetProperty(stage, out var p) ? HomeserverResponse.String(p, "url") : null;

    public string DescribeFlows() =>
        Flows.Count == 0 ? "none" : string.Join(" | ", Flows.Select(f => string.Join(" + ", f)));

    private static List<string> Strings(JsonElement array) =>
        array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList();
}
