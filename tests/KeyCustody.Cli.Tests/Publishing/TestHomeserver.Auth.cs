using System.Security.Cryptography;
using System.Text;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary>User-interactive auth of the test homeserver: sessions, the password stage, and m.oauth approvals.</summary>
internal sealed partial class TestHomeserver
{
    private const string ApprovalPath = "/account/approve";

    private readonly Dictionary<string, bool> _sessions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _challengedForReset = new(StringComparer.Ordinal);
    private readonly HashSet<string> _resetApproved = new(StringComparer.Ordinal);
    private int _nextSession;

    /// <summary>Sessions this homeserver handed out, in order.</summary>
    public IReadOnlyList<string> Sessions
    {
        get
        {
            lock (_gate)
            {
                return [.. _sessions.Keys];
            }
        }
    }

    /// <summary>Null when the request may go ahead; otherwise the 401 (or 400) to answer.</summary>
    private (int, JsonObject)? Authenticate(string user, JsonObject body)
    {
        if (Stage == UiaStage.OAuthUnstable)
        {
            // Synapse with MAS: not really UIA. The account service marks the reset as approved for the user,
            // and any retry goes through; the session is a dummy.
            if (_resetApproved.Contains(user))
            {
                return null;
            }

            _challengedForReset.Add(user);
            if (ApproveOnIssue)
            {
                _resetApproved.Add(user);
            }

            var url = Url + ApprovalPath + "?action=org.matrix.cross_signing_reset";
            return (401, JsonObject.Of(
                ("session", "dummy"),
                ("flows", new JsonArray(JsonObject.Of(("stages", new JsonArray("org.matrix.cross_signing_reset"))))),
                ("params", JsonObject.Of(("org.matrix.cross_signing_reset", JsonObject.Of(("url", url))))),
                ("msg", $"To reset your end-to-end encryption cross-signing identity, you first need to approve it at {url} and then try again.")));
        }

        if (body.GetObject("auth") is not { } auth)
        {
            var id = "session" + (++_nextSession).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _sessions[id] = ApproveOnIssue;
            return Challenge(id, null);
        }

        if (auth.GetString("session") is not { } session || !_sessions.TryGetValue(session, out var approved))
        {
            return Error(400, "M_UNKNOWN", "Unknown session ID");
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
                    && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), _passwords[user]);
                return ok ? null : Challenge(session, ("M_FORBIDDEN", "Invalid username or password"));
            case UiaStage.OAuth:
                return approved ? null : Challenge(session, null);
            default:
                return Challenge(session, null);
        }
    }

    private (int, JsonObject) Challenge(string session, (string ErrCode, string Error)? error)
    {
        var (stage, parameters) = Stage switch
        {
            UiaStage.Password => ("m.login.password", JsonObject.Empty),
            UiaStage.OAuth => ("m.oauth", JsonObject.Of(("m.oauth", JsonObject.Of(("url", Url + ApprovalPath + "?session=" + session))))),
            _ => ("m.login.sso", JsonObject.Empty),
        };
        var body = JsonObject.Of(
            ("session", session),
            ("flows", new JsonArray(JsonObject.Of(("stages", new JsonArray(stage))))),
            ("params", parameters),
            ("completed", JsonArray.Empty));
        return (401, error is { } e ? body.With("errcode", e.ErrCode).With("error", e.Error) : body);
    }

    /// <summary>GET on the approval URL: what the person does in their account management.</summary>
    private (int, JsonObject) Approve(string? session)
    {
        if (Stage == UiaStage.OAuthUnstable)
        {
            _resetApproved.UnionWith(_challengedForReset);
            return (200, JsonObject.Of(("approved", true)));
        }

        if (session is null || !_sessions.ContainsKey(session))
        {
            return Error(404, "M_NOT_FOUND", "Unknown session");
        }

        _sessions[session] = true;
        return (200, JsonObject.Of(("approved", true)));
    }
}
