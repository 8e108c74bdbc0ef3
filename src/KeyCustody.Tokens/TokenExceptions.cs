namespace KeyCustody.Tokens;

/// <summary>
/// Every failure a token reports. The message says what happened and what a person can do about it; it never
/// contains a secret. Build them with <see cref="TokenErrors"/>.
/// </summary>
public abstract class TokenException : Exception
{
    private protected TokenException(string message, Exception? inner)
        : base(message, inner)
    {
    }

    public abstract TokenErrorKind Kind { get; }
}

/// <summary>The PIN was wrong; <see cref="RetriesLeft"/> attempts remain (null when the token does not say).</summary>
public sealed class PinIncorrectException : TokenException
{
    internal PinIncorrectException(string message, int? retriesLeft)
        : base(message, null)
    {
        RetriesLeft = retriesLeft;
    }

    public int? RetriesLeft { get; }

    public override TokenErrorKind Kind => TokenErrorKind.PinIncorrect;
}

/// <summary>No PIN attempts remain; the PIN must be unblocked with the PUK (or the token reset).</summary>
public sealed class PinBlockedException : TokenException
{
    internal PinBlockedException(string message)
        : base(message, null)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.PinBlocked;
}

/// <summary>The key needs the PIN and none was given.</summary>
public sealed class PinRequiredException : TokenException
{
    internal PinRequiredException(string message)
        : base(message, null)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.PinRequired;
}

/// <summary>The PIN given cannot be a PIN of this token (wrong length or characters); it was not tried.</summary>
public sealed class PinFormatInvalidException : TokenException
{
    internal PinFormatInvalidException(string message)
        : base(message, null)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.PinFormatInvalid;
}

/// <summary>We refused to try the PIN because too few retries remain and the caller did not insist.</summary>
public sealed class PinAttemptRefusedException : TokenException
{
    internal PinAttemptRefusedException(string message, int retriesLeft)
        : base(message, null)
    {
        RetriesLeft = retriesLeft;
    }

    public int RetriesLeft { get; }

    public override TokenErrorKind Kind => TokenErrorKind.PinAttemptRefused;
}

/// <summary>The device waited for a touch that did not come.</summary>
public sealed class TouchTimeoutException : TokenException
{
    internal TouchTimeoutException(string message)
        : base(message, null)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.TouchTimeout;
}

/// <summary>The device went away (unplugged, reset by another program, module lost its token) during or before the operation.</summary>
public sealed class TokenRemovedException : TokenException
{
    internal TokenRemovedException(string message, Exception? inner)
        : base(message, inner)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.TokenRemoved;
}

/// <summary>No device with the requested serial or label is present.</summary>
public sealed class TokenNotFoundException : TokenException
{
    internal TokenNotFoundException(string message, Exception? inner)
        : base(message, inner)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.TokenNotFound;
}

/// <summary>No Ed25519 key with that id on the token. (Named so it does not clash with System.Collections.Generic.KeyNotFoundException.)</summary>
public sealed class KeyNotFoundOnTokenException : TokenException
{
    internal KeyNotFoundOnTokenException(string message)
        : base(message, null)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.KeyNotFound;
}

/// <summary>Generation would overwrite a key already on the token.</summary>
public sealed class KeyExistsException : TokenException
{
    internal KeyExistsException(string message)
        : base(message, null)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.KeyExists;
}

/// <summary>The device's firmware cannot do what we need (YubiKey PIV Ed25519 needs 5.7).</summary>
public sealed class FirmwareUnsupportedException : TokenException
{
    internal FirmwareUnsupportedException(string message, Version firmware)
        : base(message, null)
    {
        Firmware = firmware;
    }

    public Version Firmware { get; }

    public override TokenErrorKind Kind => TokenErrorKind.FirmwareUnsupported;
}

/// <summary>The caller cancelled before the device was asked (nothing was signed).</summary>
public sealed class TokenOperationCancelledException : TokenException
{
    internal TokenOperationCancelledException(string message, Exception? inner)
        : base(message, inner)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.OperationCancelled;
}

/// <summary>This kind of token cannot do that (attestation on SoftHSM2, touch on a software key, ...).</summary>
public sealed class NotSupportedByTokenException : TokenException
{
    internal NotSupportedByTokenException(string message)
        : base(message, null)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.NotSupported;
}

/// <summary>The PIV management key was refused.</summary>
public sealed class ManagementKeyIncorrectException : TokenException
{
    internal ManagementKeyIncorrectException(string message)
        : base(message, null)
    {
    }

    public override TokenErrorKind Kind => TokenErrorKind.ManagementKeyIncorrect;
}

/// <summary>The device answered something we did not expect, or the middleware failed; <see cref="Code"/> names the raw code.</summary>
public sealed class DeviceErrorException : TokenException
{
    internal DeviceErrorException(string message, string code, Exception? inner)
        : base(message, inner)
    {
        Code = code;
    }

    /// <summary>The raw code, e.g. "SW 6A80", "CKR_GENERAL_ERROR", "SCARD_E_NO_SERVICE".</summary>
    public string Code { get; }

    public override TokenErrorKind Kind => TokenErrorKind.DeviceError;
}
