namespace KeyCustody.Tokens.OpenPgp.Data;

/// <summary>The user interaction flag's mode (D6/D7/D8/D9 byte 1; YubiKey, Nitrokey 3).</summary>
internal enum Uif : byte
{
    Off = 0x00,
    On = 0x01,

    /// <summary>On, and can only be turned off by a reset of the application.</summary>
    Fixed = 0x02,

    /// <summary>One touch valid for 15 seconds (YubiKey 5.2.1+).</summary>
    Cached = 0x03,
    CachedFixed = 0x04,
}

internal static class UifExtensions
{
    public static bool NeedsTouch(this Uif uif) => uif != Uif.Off;

    public static bool IsFixed(this Uif uif) => uif is Uif.Fixed or Uif.CachedFixed;

    public static TouchPolicy ToPolicy(this Uif uif) => uif switch
    {
        Uif.Off => TouchPolicy.Never,
        Uif.On or Uif.Fixed => TouchPolicy.Always,
        Uif.Cached or Uif.CachedFixed => TouchPolicy.Cached,
        _ => TouchPolicy.Always, // An unknown mode: assume the card waits, so the person is told.
    };

    /// <summary>The mode we write for a policy (never the fixed modes: those cannot be undone without a reset).</summary>
    public static Uif FromPolicy(TouchPolicy policy) => policy switch
    {
        TouchPolicy.Never => Uif.Off,
        TouchPolicy.Always => Uif.On,
        TouchPolicy.Cached => Uif.Cached,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "no touch mode for the default policy"),
    };
}
