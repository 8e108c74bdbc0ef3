namespace KeyCustody.Tokens;

/// <summary>
/// How a token reaches the person or the daemon during one operation: the PIN (asked only when the key's policy
/// needs it), the management key (PIV generation) or admin PIN (OpenPGP generation and import), and the presence hook (called before an operation that will
/// wait for a touch). Each callback returns a <see cref="Secret"/> the token disposes after use.
/// </summary>
public sealed class TokenInteraction
{
    /// <summary>No PIN, no management key, nobody to tell about a touch.</summary>
    public static TokenInteraction None { get; } = new();

    /// <summary>Returns the PIN, or null to give up (the operation fails with <see cref="PinRequiredException"/>).</summary>
    public Func<PinPrompt, CancellationToken, ValueTask<Secret?>>? Pin { get; init; }

    /// <summary>Returns the PIV management key (24 bytes for 3DES/AES-192), or null to give up.</summary>
    public Func<CancellationToken, ValueTask<Secret?>>? ManagementKey { get; init; }

    /// <summary>Returns the OpenPGP admin PIN (PW3), for key generation and import; null to give up.</summary>
    public Func<PinPrompt, CancellationToken, ValueTask<Secret?>>? AdminPin { get; init; }

    /// <summary>
    /// Called before an operation that will wait for a touch, so the caller can prompt the person. Cancel the
    /// operation's token (or throw <see cref="OperationCanceledException"/>) to stop before the card waits.
    /// </summary>
    public Func<PresencePrompt, CancellationToken, ValueTask>? Presence { get; init; }

    /// <summary>
    /// Allow a PIN attempt when one retry or fewer remain. Off by default: a wrong PIN then blocks the token,
    /// so only a person who typed the PIN deliberately should set it.
    /// </summary>
    public bool AllowLastPinRetry { get; init; }
}

/// <summary>Why the PIN is asked for.</summary>
/// <param name="TokenSerial">Which device.</param>
/// <param name="KeyId">Which key (null for a token-wide login).</param>
/// <param name="RetriesLeft">Attempts left before the PIN blocks, when the token says.</param>
public sealed record PinPrompt(string TokenSerial, string? KeyId, int? RetriesLeft);

/// <summary>The token is about to wait for a touch.</summary>
/// <param name="Operation">"sign" or "generate".</param>
/// <param name="Timeout">How long the device waits before giving up (about 15 s on a YubiKey).</param>
public sealed record PresencePrompt(string TokenSerial, string KeyId, string Operation, TouchPolicy TouchPolicy, TimeSpan Timeout)
{
    /// <summary>
    /// The device to touch, as a person knows it ("YubiKey", "Nitrokey"), from what the token reports of itself (an
    /// OpenPGP card's AID names its manufacturer); "security key" where the token does not say.
    /// </summary>
    public string Device { get; init; } = DefaultDevice;

    public const string DefaultDevice = "security key";
}
