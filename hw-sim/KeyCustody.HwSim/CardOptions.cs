using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim;

/// <summary>How to build a <see cref="VirtualCard"/>. Only <see cref="Root"/> is required.</summary>
public sealed class CardOptions
{
    public CardOptions(SimulatorRoot root)
    {
        Root = root;
    }

    /// <summary>Issues the card's attestation certificate when the card is new.</summary>
    public SimulatorRoot Root { get; }

    /// <summary>Serial of a new card. A state file keeps its own serial; a different explicit one is an error.</summary>
    public uint? Serial { get; init; }

    /// <summary>Persistent state file (created 0600 when missing). Null: the card lives in memory only.</summary>
    public string? StatePath { get; init; }

    public TouchMode Touch { get; init; } = TouchMode.Auto;
    public TimeSpan AutoTouchDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan TouchTimeout { get; init; } = Button.DefaultTimeout;

    /// <summary>
    /// The device a new card is: <see cref="CardProfile.YubiKey57"/> (the default), <see cref="CardProfile.YubiKey543"/> or
    /// <see cref="CardProfile.Nitrokey3"/>. A state file keeps its own; a different explicit one is an error.
    /// </summary>
    public CardProfile? Profile { get; init; }

    /// <summary>
    /// The factory PIV management key algorithm; null: the profile's (AES-192 on 5.7, 3DES before). 3DES on a 5.7 emulates a
    /// card whose key was set to 3DES (for yubico-piv-tool 2.2.0).
    /// </summary>
    public ManagementKeyAlgorithm? ManagementKeyAlgorithm { get; init; }

    public byte FormFactor { get; init; } = CardIdentity.DefaultFormFactor;

    /// <summary>
    /// The factory attestation key (F9) of a new card. A YubiKey 5.7 ships an RSA 2048 one; P-256 is the default here
    /// because a card is made in milliseconds then, and test suites make hundreds. Any of RSA 2048/3072/4096, P-256, P-384.
    /// </summary>
    public KeyAlgorithm AttestationKeyAlgorithm { get; init; } = KeyAlgorithm.EccP256;

    /// <summary>How long each command takes at least; <see cref="CardTiming.YubiKey5"/> models the real key.</summary>
    public CardTiming Timing { get; init; } = CardTiming.None;

    /// <summary>A YubiKey's: with touch policy CACHED (PIV) or UIF cached (OpenPGP) a touch counts for 15 s.</summary>
    public static readonly TimeSpan YubiKeyTouchCacheWindow = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a touch stays cached. A real card's is fixed; a longer one lets tests on a loaded machine keep two
    /// requests inside it without depending on how fast the machine is.
    /// </summary>
    public TimeSpan TouchCacheWindow { get; init; } = YubiKeyTouchCacheWindow;

    /// <summary>Clock for the cached-touch window; tests pass a manual one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
