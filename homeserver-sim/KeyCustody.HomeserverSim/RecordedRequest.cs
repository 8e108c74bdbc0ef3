using KeyCustody.Matrix.Json;

namespace KeyCustody.HomeserverSim;

/// <summary>One request as the simulator received it (tests read these; nothing is logged).</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? Authorization, byte[] Body)
{
    public JsonObject Json => CanonicalJson.ParseObject(Body);
}

/// <summary>How the simulator asks for user-interactive auth when cross-signing keys are replaced.</summary>
public enum UiaStage
{
    /// <summary><c>m.login.password</c>, as Synapse without delegated auth.</summary>
    Password,

    /// <summary><c>m.oauth</c> (MSC4312, spec v1.17): approve at a URL, then retry with the session.</summary>
    OAuth,

    /// <summary>MSC4312's unstable name, the way Synapse with MAS sends it: session "dummy", approval per user.</summary>
    OAuthUnstable,

    /// <summary>A stage keycustody cannot complete (<c>m.login.sso</c>).</summary>
    Sso,
}
