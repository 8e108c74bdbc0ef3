namespace KeyCustody.Matrix.SecretStorage;

/// <summary>The account-data names of the three cross-signing secrets (spec "Cross-signing": storing the private keys).</summary>
public static class CrossSigningSecrets
{
    public const string Master = "m.cross_signing.master";
    public const string SelfSigning = "m.cross_signing.self_signing";
    public const string UserSigning = "m.cross_signing.user_signing";

    public static readonly IReadOnlyList<string> All = [Master, SelfSigning, UserSigning];
}
