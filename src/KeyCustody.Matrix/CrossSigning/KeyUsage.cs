using KeyCustody.Matrix.Policy;

namespace KeyCustody.Matrix.CrossSigning;

/// <summary>The <c>usage</c> of a cross-signing key: the cross-signing <see cref="KeyRole"/>s, under the same numbers.</summary>
public enum KeyUsage
{
    Master = (int)KeyRole.Master,
    SelfSigning = (int)KeyRole.SelfSigning,
    UserSigning = (int)KeyRole.UserSigning,
}

/// <summary>A usage's names, from the role vocabulary's table (<see cref="KeyRoleNames"/>).</summary>
public static class KeyUsageNames
{
    /// <summary>The cross-signing usages, in order.</summary>
    public static IReadOnlyList<KeyUsage> All { get; } = [KeyUsage.Master, KeyUsage.SelfSigning, KeyUsage.UserSigning];

    public static string ToJson(this KeyUsage usage) => usage.ToRole().ToConfigName();

    /// <summary>How a person would name the key: "master key", "self-signing key", "user-signing key".</summary>
    public static string Describe(this KeyUsage usage) => usage.ToRole().Describe();

    /// <summary>The key's member in a /keys/device_signing/upload body: "master_key", "self_signing_key", "user_signing_key".</summary>
    public static string UploadMember(this KeyUsage usage) => KeyRoleNames.UploadMember(usage);

    /// <summary>The keys' section in a /keys/query response: "master_keys", "self_signing_keys", "user_signing_keys".</summary>
    public static string QuerySection(this KeyUsage usage) => KeyRoleNames.QuerySection(usage);

    public static bool TryParse(string? text, out KeyUsage usage)
    {
        var ok = KeyRoleNames.TryParse(text, out var role) && role.ToUsage() is not null;
        usage = ok ? role.ToUsage()!.Value : KeyUsage.Master;
        return ok;
    }
}
