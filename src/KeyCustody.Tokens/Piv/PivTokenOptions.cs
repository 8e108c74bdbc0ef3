namespace KeyCustody.Tokens.Piv;

/// <summary>Settings of a <see cref="PivToken"/>; the defaults fit a YubiKey 5.7.</summary>
public sealed class PivTokenOptions
{
    /// <summary>How long the card waits for a touch before answering 6982 (told to the presence hook).</summary>
    public TimeSpan TouchTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The oldest firmware with Ed25519 in PIV.</summary>
    public static Version MinimumFirmware { get; } = new(5, 7, 0);
}
