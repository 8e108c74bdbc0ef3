using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim.Api;

/// <summary>
/// User-interactive auth for replacing cross-signing keys, as Synapse answers it: a 401 with a session and the flows;
/// <c>m.login.password</c> checked against the user's password (a wrong one: 401 again with M_FORBIDDEN); <c>m.oauth</c>
/// approved at a URL; Synapse-with-MAS's unstable <c>org.matrix.cross_signing_reset</c> (session "dummy", approval per user).
/// </summary>
internal sealed class UserInteractiveAuth(string url)
{
    public const string ApprovalPath = "/account/approve";

    private readonly Dictionary<string, bool> _sessions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _challengedForReset = new(StringComparer.Ordinal);
    private readonly HashSet<string> _resetApproved = new(StringComparer.Ordinal);
    private int _nextSession;

    public UiaStage Stage { get; set; } = UiaStage.Password;

    /// <summary>With the OAuth stages: the approval counts as given as soon as the URL is handed out (a quick person).</summary>
    public bool ApproveOnIssue { get; set; }

    public IReadOnlyList<string> Sessions => [.. _sessions.Keys];

    /// <summary>Null when the request may go ahead; otherwise the 401 (or 400) to answer.</summary>
    public Answer? Authenticate(string user, JsonObject body, Accounts accounts)
    {
        if (Stage == UiaStage.OAuthUnstable)
        {
            if (_resetApproved.Contains(user))
            {
                return null;
            }

            _challengedForReset.Add(user);
            if (ApproveOnIssue)
            {
                _resetApproved.Add(user);
            }

            var approve = url + ApprovalPath + "?action=org.matrix.cross_signing_reset";
            return new Answer(401, JsonObject.Of(
                ("session", "dummy"),
                ("flows", new JsonArray(JsonObject.Of(("stages", new JsonArray("org.matrix.cross_signing_reset"))))),
                ("params", JsonObject.Of(("org.matrix.cross_signing_reset", JsonObject.Of(("url", approve))))),
                ("msg", $"To reset your end-to-end encryption cross-signing identity, you first need to approve it at {approve} and then try again.")));
        }

        if (body.GetObject("auth") is not { } auth)
        {
            var id = "session" + (++_nextSession).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _sessions[id] = ApproveOnIssue;
            return Challenge(id, null);
        }

        if (auth.GetString("session") is not { } session || !_sessions.TryGetValue(session, out var approved))
        {
            return MatrixError.Of(400, "M_UNKNOWN", "Unknown session ID");
        }

        switch (Stage)
        {
            case UiaStage.Password:
                var identifier = auth.GetObject("identifier");
                var password = auth.GetString("password");
                var ok = auth.GetString("type") == "m.login.password"
                    && identifier?.GetString("type") == "m.id.user"
                    && identifier.GetString("user") == user
                    && password is not null
                    && accounts.PasswordMatches(user, password);
                return ok ? null : Challenge(session, ("M_FORBIDDEN", "Invalid username or password"));
            case UiaStage.OAuth:
                return approved ? null : Challenge(session, null);
            default:
                return Challenge(session, null);
        }
    }

    /// <summary>GET on the approval URL: what the person does in their account management.</summary>
    public Answer Approve(string? session)
    {
        if (Stage == UiaStage.OAuthUnstable)
        {
            _resetApproved.UnionWith(_challengedForReset);
            return Answer.Ok(JsonObject.Of(("approved", true)));
        }

        if (session is null || !_sessions.ContainsKey(session))
        {
            return MatrixError.Of(404, "M_NOT_FOUND", "Unknown session");
        }

        _sessions[session] = true;
        return Answer.Ok(JsonObject.Of(("approved", true)));
    }

    private Answer Challenge(string session, (string ErrCode, string Error)? error)
    {
        var (stage, parameters) = Stage switch
        {
            UiaStage.Password => ("m.login.password", JsonObject.Empty),
            UiaStage.OAuth => ("m.oauth", JsonObject.Of(("m.oauth", JsonObject.Of(("url", url + ApprovalPath + "?session=" + session))))),
            _ => ("m.login.sso", JsonObject.Empty),
        };
        var body = JsonObject.Of(
            ("session", session),
            ("flows", new JsonArray(JsonObject.Of(("stages", new JsonArray(stage))))),
            ("params", parameters),
            ("completed", JsonArray.Empty));
        return new Answer(401, error is { } e ? body.With("errcode", e.ErrCode).With("error", e.Error) : body);
    }
}
