namespace KeyCustody.Cli.Migration;

/// <summary>PIN and touch policies for the keys put on tokens (the defaults are provision's).</summary>
internal sealed record KeyPolicies(string Pin, string Touch)
{
    /// <summary>The operator gave the PIN policy (else it is the default, adapted to the key's token).</summary>
    public bool PinGiven { get; init; }

    /// <summary>The policies for <paramref name="key"/>'s token (<see cref="Provisioning.PinDefaults"/>).</summary>
    public KeyPolicies For(KeyCustody.Protos.V1.KeyInfo key, string what) =>
        this with { Pin = Provisioning.PinDefaults.For(Pin, PinGiven, key.TokenKind, what) };

    public static readonly string[] PinPolicies = ["default", "never", "once", "always"];
    public static readonly string[] TouchPolicies = ["default", "never", "always", "cached"];
}
