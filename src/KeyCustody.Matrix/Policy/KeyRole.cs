using KeyCustody.Matrix.CrossSigning;

namespace KeyCustody.Matrix.Policy;

/// <summary>
/// What a custody key is for; it decides what the key may sign (matrix-signing.md §3.1). The three cross-signing roles
/// are the <see cref="KeyUsage"/> values of the same number (a role's usage is <see cref="KeyRoleNames.ToUsage"/>); a
/// server key has no usage.
/// </summary>
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

/// <summary>
/// The one vocabulary of roles and usages (matrix-rust-sdk's KeyUsage, with the server key beside it): every name a role
/// or usage has, in one table. <see cref="KeyUsageNames"/> reads the same table.
/// </summary>
public static class KeyRoleNames
{
    /// <summary>Name in the configuration and in key objects' <c>usage</c>; how a person says it; /keys/device_signing/upload member; /keys/query section.</summary>
    private static readonly (string Name, string Described, string? UploadMember, string? QuerySection)[] Table =
    [
        ("master", "master key", "master_key", "master_keys"),
        ("self_signing", "self-signing key", "self_signing_key", "self_signing_keys"),
        ("user_signing", "user-signing key", "user_signing_key", "user_signing_keys"),
        ("server", "server signing key", null, null),
    ];

    public static string ToConfigName(this KeyRole role) => Row(role).Name;

    public static string Describe(this KeyRole role) => Row(role).Described;

    /// <summary>The <c>usage</c> of a cross-signing role's key object; null for a server key.</summary>
    public static KeyUsage? ToUsage(this KeyRole role) => role == KeyRole.Server ? null : (KeyUsage)(int)Checked(role);

    /// <summary>The role whose key objects have this usage.</summary>
    public static KeyRole ToRole(this KeyUsage usage) =>
        usage is >= KeyUsage.Master and <= KeyUsage.UserSigning ? (KeyRole)(int)usage : throw new ArgumentOutOfRangeException(nameof(usage));

    public static bool TryParse(string? text, out KeyRole role)
    {
        var index = Array.FindIndex(Table, row => row.Name == text);
        role = index < 0 ? KeyRole.Server : (KeyRole)index;
        return index >= 0;
    }

    /// <summary>The usage's member of a /keys/device_signing/upload body.</summary>
    internal static string UploadMember(KeyUsage usage) => Row(usage.ToRole()).UploadMember!;

    /// <summary>The usage's section of a /keys/query response.</summary>
    internal static string QuerySection(KeyUsage usage) => Row(usage.ToRole()).QuerySection!;

    private static (string Name, string Described, string? UploadMember, string? QuerySection) Row(KeyRole role) => Table[(int)Checked(role)];

    private static KeyRole Checked(KeyRole role) => role is >= KeyRole.Master and <= KeyRole.Server ? role : throw new ArgumentOutOfRangeException(nameof(role));
}
