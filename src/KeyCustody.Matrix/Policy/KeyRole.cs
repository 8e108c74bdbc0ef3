namespace KeyCustody.Matrix.Policy;

/// <summary>What a custody key is for; it decides what the key may sign (matrix-signing.md §3.1).</summary>
public enum KeyRole
{
    /// <summary>A user's master cross-signing key: signs that user's self-signing and user-signing keys.</summary>
    Master,
    /// <summary>A user's self-signing key: signs that user's own devices.</summary>
    SelfSigning,
    /// <summary>A user's user-signing key: signs other users' master keys.</summary>
    UserSigning,
    /// <summary>A homeserver signing key: signs any JSON object.</summary>
    Server,
}

public static class KeyRoleNames
{
    public static string ToConfigName(this KeyRole role) => role switch
    {
        KeyRole.Master => "master",
        KeyRole.SelfSigning => "self_signing",
        KeyRole.UserSigning => "user_signing",
        KeyRole.Server => "server",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static string Describe(this KeyRole role) => role switch
    {
        KeyRole.Master => "master key",
        KeyRole.SelfSigning => "self-signing key",
        KeyRole.UserSigning => "user-signing key",
        KeyRole.Server => "server signing key",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>The <c>usage</c> of a cross-signing role's key object; null for a server key.</summary>
    public static CrossSigning.KeyUsage? ToUsage(this KeyRole role) => role switch
    {
        KeyRole.Master => CrossSigning.KeyUsage.Master,
        KeyRole.SelfSigning => CrossSigning.KeyUsage.SelfSigning,
        KeyRole.UserSigning => CrossSigning.KeyUsage.UserSigning,
        _ => null,
    };

    public static bool TryParse(string? text, out KeyRole role)
    {
        (var ok, role) = text switch
        {
            "master" => (true, KeyRole.Master),
            "self_signing" => (true, KeyRole.SelfSigning),
            "user_signing" => (true, KeyRole.UserSigning),
            "server" => (true, KeyRole.Server),
            _ => (false, KeyRole.Server),
        };
        return ok;
    }
}
