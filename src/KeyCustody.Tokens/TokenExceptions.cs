namespace KeyCustody.Tokens;

/// <summary>
/// Every failure a token reports, as one type: what happened (<see cref="Kind"/>), the device's own code when it gave one
/// (<see cref="DeviceCode"/>: a status word, a CKR_ or SCARD_ name) and the PIN attempts left when that is known. The
/// message says what happened and what a person can do about it; it never contains a secret. Build them with
/// <see cref="TokenErrors"/>; decide on <see cref="Kind"/>. The subclasses below only name a kind for tests and
/// documentation: no production code catches or tests for them.
/// </summary>
public class TokenException : Exception
{
    internal TokenException(TokenErrorKind kind, string message, Exception? inner = null, string? deviceCode = null, int? retriesLeft = null)
        : base(message, inner)
    {
        Kind = kind;
        DeviceCode = deviceCode;
        RetriesLeft = retriesLeft;
    }

    public TokenErrorKind Kind { get; }

    /// <summary>The raw code, e.g. "SW 6A80", "CKR_GENERAL_ERROR", "SCARD_E_NO_SERVICE"; null when the device gave none.</summary>
    public string? DeviceCode { get; }

    /// <summary>PIN attempts left (wrong PIN, attempt refused); null when the token does not say or it does not apply.</summary>
    public int? RetriesLeft { get; }

    /// <summary>The device went away or its middleware did: the handle is no use, and the token must be opened again.</summary>
    public bool MeansDeviceLost => Kind is TokenErrorKind.TokenRemoved or TokenErrorKind.TokenNotFound or TokenErrorKind.DeviceError;

    /// <summary>The token refused the PIN or was never given a usable one: trying again with the same PIN is pointless.</summary>
    public bool IsPinRefusal => Kind is TokenErrorKind.PinIncorrect or TokenErrorKind.PinBlocked or TokenErrorKind.PinAttemptRefused
        or TokenErrorKind.PinFormatInvalid or TokenErrorKind.PinRequired;

    /// <summary>The PIN was not tried, or the operation never reached the device: a PIN or key not wanted is not a finding.</summary>
    public bool NeverReachedTheDevice => Kind is TokenErrorKind.OperationCancelled or TokenErrorKind.PinRequired
        or TokenErrorKind.PinAttemptRefused or TokenErrorKind.PinFormatInvalid;
}

/// <summary>The PIN was wrong; <see cref="TokenException.RetriesLeft"/> attempts remain (null when the token does not say).</summary>
public sealed class PinIncorrectException : TokenException
{
    internal PinIncorrectException(string message, int? retriesLeft)
        : base(TokenErrorKind.PinIncorrect, message, retriesLeft: retriesLeft)
    {
    }
}

/// <summary>No PIN attempts remain; the PIN must be unblocked with the PUK (or the token reset).</summary>
public sealed class PinBlockedException : TokenException
{
    internal PinBlockedException(string message)
        : base(TokenErrorKind.PinBlocked, message)
    {
    }
}

/// <summary>The key needs the PIN and none was given.</summary>
public sealed class PinRequiredException : TokenException
{
    internal PinRequiredException(string message)
        : base(TokenErrorKind.PinRequired, message)
    {
    }
}

/// <summary>The PIN given cannot be a PIN of this token (wrong length or characters); it was not tried.</summary>
public sealed class PinFormatInvalidException : TokenException
{
    internal PinFormatInvalidException(string message)
        : base(TokenErrorKind.PinFormatInvalid, message)
    {
    }
}

/// <summary>We refused to try the PIN because too few retries remain and the caller did not insist.</summary>
public sealed class PinAttemptRefusedException : TokenException
{
    internal PinAttemptRefusedException(string message, int retriesLeft)
        : base(TokenErrorKind.PinAttemptRefused, message, retriesLeft: retriesLeft)
    {
    }
}

/// <summary>The device waited for a touch that did not come.</summary>
public sealed class TouchTimeoutException : TokenException
{
    internal TouchTimeoutException(string message)
        : base(TokenErrorKind.TouchTimeout, message)
    {
    }
}

/// <summary>The device went away (unplugged, reset by another program, module lost its token) during or before the operation.</summary>
public sealed class TokenRemovedException : TokenException
{
    internal TokenRemovedException(string message, Exception? inner)
        : base(TokenErrorKind.TokenRemoved, message, inner)
    {
    }
}

/// <summary>No device with the requested serial or label is present.</summary>
public sealed class TokenNotFoundException : TokenException
{
    internal TokenNotFoundException(string message, Exception? inner)
        : base(TokenErrorKind.TokenNotFound, message, inner)
    {
    }
}

/// <summary>No Ed25519 key with that id on the token. (Named so it does not clash with System.Collections.Generic.KeyNotFoundException.)</summary>
public sealed class KeyNotFoundOnTokenException : TokenException
{
    internal KeyNotFoundOnTokenException(string message)
        : base(TokenErrorKind.KeyNotFound, message)
    {
    }
}

/// <summary>Generation would overwrite a key already on the token.</summary>
public sealed class KeyExistsException : TokenException
{
    internal KeyExistsException(string message)
        : base(TokenErrorKind.KeyExists, message)
    {
    }
}

/// <summary>The device's firmware cannot do what we need (YubiKey PIV Ed25519 needs 5.7).</summary>
public sealed class FirmwareUnsupportedException : TokenException
{
    internal FirmwareUnsupportedException(string message, Version firmware)
        : base(TokenErrorKind.FirmwareUnsupported, message)
    {
        Firmware = firmware;
    }

    public Version Firmware { get; }
}

/// <summary>The caller cancelled before the device was asked (nothing was signed).</summary>
public sealed class TokenOperationCancelledException : TokenException
{
    internal TokenOperationCancelledException(string message, Exception? inner)
        : base(TokenErrorKind.OperationCancelled, message, inner)
    {
    }
}

/// <summary>This kind of token cannot do that (attestation on SoftHSM2, touch on a software key, ...).</summary>
public sealed class NotSupportedByTokenException : TokenException
{
    internal NotSupportedByTokenException(string message)
        : base(TokenErrorKind.NotSupported, message)
    {
    }
}

/// <summary>The PIV management key was refused.</summary>
public sealed class ManagementKeyIncorrectException : TokenException
{
    internal ManagementKeyIncorrectException(string message)
        : base(TokenErrorKind.ManagementKeyIncorrect, message)
    {
    }
}

/// <summary>The device answered something we did not expect, or the middleware failed; <see cref="Code"/> names the raw code.</summary>
public sealed class DeviceErrorException : TokenException
{
    internal DeviceErrorException(string message, string code, Exception? inner)
        : base(TokenErrorKind.DeviceError, message, inner, deviceCode: code)
    {
    }

    /// <summary>The same as <see cref="TokenException.DeviceCode"/>, never null here.</summary>
    public string Code => DeviceCode!;
}
