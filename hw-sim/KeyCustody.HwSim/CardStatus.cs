using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim;

/// <summary>A snapshot for the control surface (no secrets).</summary>
public sealed record CardStatus(
    uint Serial,
    bool Present,
    bool Powered,
    TouchMode TouchMode,
    bool WaitingForTouch,
    int PinRetries,
    int PukRetries,
    ManagementKeyAlgorithm ManagementKeyAlgorithm);
