namespace KeyCustody.Tokens;

/// <summary>The kind of a <see cref="TokenException"/>, for the daemon's mapping to status codes.</summary>
public enum TokenErrorKind
{
    PinIncorrect,
    PinBlocked,
    PinRequired,
    PinFormatInvalid,
    PinAttemptRefused,
    TouchTimeout,
    TokenRemoved,
    TokenNotFound,
    KeyNotFound,
    KeyExists,
    FirmwareUnsupported,
    OperationCancelled,
    NotSupported,
    ManagementKeyIncorrect,
    DeviceError,

    /// <summary>The token returned a signature that does not verify against the key's (pinned) public key; it was discarded.</summary>
    SignatureInvalid,
}
