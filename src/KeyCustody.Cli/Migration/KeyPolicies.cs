namespace KeyCustody.Cli.Migration;

/// <summary>PIN and touch policies for the keys put on tokens (the defaults are provision's).</summary>
internal sealed record KeyPolicies(string Pin, string Touch)
{
    public static readonly string[] PinPolicies = ["default", "never", "once", "always"];
    public static readonly string[] TouchPolicies = ["default", "never", "always", "cached"];
}
