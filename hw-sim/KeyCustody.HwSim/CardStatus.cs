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
    ManagementKeyAlgorithm ManagementKeyAlgorithm,
    string Profile = "yubikey-5.7",
    int OpenPgpPinRetries = 0,
    int OpenPgpAdminPinRetries = 0,
    uint OpenPgpSignatureCounter = 0);
