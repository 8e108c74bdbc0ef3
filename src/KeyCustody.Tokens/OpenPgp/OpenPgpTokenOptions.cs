namespace KeyCustody.Tokens.OpenPgp;

/// <summary>Settings of an <see cref="OpenPgpToken"/>; the defaults fit a YubiKey 5.</summary>
public sealed class OpenPgpTokenOptions
{
    /// <summary>How long the card waits for a touch before answering 6982 (told to the presence hook).</summary>
    public TimeSpan TouchTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The creation time written with a new key's fingerprint (GnuPG's key identity); the clock by default.</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;
}
