namespace KeyCustody.HwSim.Touch;

/// <summary>How the simulated button behaves when the card needs a touch.</summary>
public enum TouchMode
{
    /// <summary>Touched automatically after <see cref="Button.AutoDelay"/>.</summary>
    Auto,

    /// <summary>Waits for <see cref="Button.Touch"/> (control socket or test), up to the timeout.</summary>
    Manual,

    /// <summary>Nobody touches: the card answers 6982 after the timeout (an explicit touch still counts).</summary>
    Never,
}
