namespace KeyCustody.Matrix.CrossSigning;

/// <summary>The <c>usage</c> of a cross-signing key.</summary>
public enum KeyUsage
{
    Master,
    SelfSigning,
    UserSigning,
}

public static class KeyUsageNames
{
    public static string ToJson(this KeyUsage usage) => usage switch
    {
        KeyUsage.Master => "master",
        KeyUsage.SelfSigning => "self_signing",
        KeyUsage.UserSigning => "user_signing",
        _ => throw new ArgumentOutOfRangeException(nameof(usage)),
    };

    /// <summary>How a person would name the key: "master key", "self-signing key", "user-signing key".</summary>
    public static string Describe(this KeyUsage usage) => usage switch
    {
        KeyUsage.Master => "master key",
        KeyUsage.SelfSigning => "self-signing key",
        KeyUsage.UserSigning => "user-signing key",
        _ => throw new ArgumentOutOfRangeException(nameof(usage)),
    };

    public static bool TryParse(string? text, out KeyUsage usage)
    {
        (var ok, usage) = text switch
        {
            "master" => (true, KeyUsage.Master),
            "self_signing" => (true, KeyUsage.SelfSigning),
            "user_signing" => (true, KeyUsage.UserSigning),
            _ => (false, KeyUsage.Master),
        };
        return ok;
    }
}
