namespace KeyCustody.Tokens;

/// <summary>
/// The one place that builds token errors and words their messages. Messages name the device and say what a
/// person can do; they never contain a PIN, a key or a payload.
/// </summary>
public static class TokenErrors
{
    public static PinIncorrectException PinIncorrect(string token, int? retriesLeft) => new(
        retriesLeft switch
        {
            null => $"Wrong PIN for token {token}. Check the PIN before trying again: the token blocks it after too many wrong attempts.",
            1 => $"Wrong PIN for token {token}: 1 attempt left before the PIN is blocked. Do not try again unless you are sure of the PIN.",
            _ => $"Wrong PIN for token {token}: {retriesLeft} attempts left before the PIN is blocked.",
        },
        retriesLeft);

    public static PinBlockedException PinBlocked(string token) => new(
        $"The PIN of token {token} is blocked (no attempts left). Unblock it with the PUK (e.g. `ykman piv access unblock-pin`) or reset the token's PIV application.");

    public static PinRequiredException PinRequired(string token, string? keyId) => new(keyId is null
        ? $"Token {token} needs its PIN and none was given. Provide the PIN for this operation."
        : $"Key {keyId} on token {token} needs the PIN and none was given. Provide the PIN for this operation.");

    public static PinFormatInvalidException PinFormatInvalid(string token, string rule) => new(
        $"The PIN given for token {token} cannot be right: {rule}. It was not sent, so no attempt was used.");

    public static PinAttemptRefusedException PinAttemptRefused(string token, int retriesLeft) => new(
        $"Not trying the PIN of token {token}: only {retriesLeft} attempt(s) left, and a wrong PIN would block it. " +
        "Retry with the last-attempt override if you are sure of the PIN, or unblock/reset the PIN with the PUK first.",
        retriesLeft);

    public static TouchTimeoutException TouchTimeout(string token, string keyId) => new(
        $"Token {token} waited for a touch to use key {keyId} and none came in time. Touch the token when it blinks, then retry.");

    /// <summary>The OpenPGP user PIN (PW1) is blocked; the admin PIN or the resetting code unblocks it.</summary>
    public static PinBlockedException OpenPgpPinBlocked(string token) => new(
        $"The PIN of token {token} is blocked (no attempts left). Unblock it with the admin PIN (`ykman openpgp access unblock-pin`, or gpg --card-edit: admin, passwd, 2) and retry.");

    /// <summary>The OpenPGP admin PIN (PW3) is blocked: nothing but a reset of the application brings it back.</summary>
    public static PinBlockedException AdminPinBlocked(string token) => new(
        $"The admin PIN of token {token} is blocked (no attempts left). Only a reset of its OpenPGP application (`ykman openpgp reset`) makes it usable again, and that erases its keys.");

    public static PinIncorrectException AdminPinIncorrect(string token, int? retriesLeft) => new(
        retriesLeft switch
        {
            null => $"Wrong admin PIN for token {token}. Check it before trying again: the token blocks it after too many wrong attempts, and then only a reset (which erases the keys) helps.",
            1 => $"Wrong admin PIN for token {token}: 1 attempt left before it is blocked for good (only a reset, which erases the keys, would help then). Do not try again unless you are sure of it.",
            _ => $"Wrong admin PIN for token {token}: {retriesLeft} attempts left before it is blocked.",
        },
        retriesLeft);

    public static PinRequiredException AdminPinRequired(string token, string operation) => new(
        $"The {operation} on token {token} needs its OpenPGP admin PIN (PW3) and none was given.");

    public static PinAttemptRefusedException AdminPinAttemptRefused(string token, int retriesLeft) => new(
        $"Not trying the admin PIN of token {token}: only {retriesLeft} attempt(s) left, and a wrong one would block it for good (only a reset, which erases the keys, would help). " +
        "Retry with the last-attempt override if you are sure of the admin PIN.",
        retriesLeft);

    /// <summary>The slot holds a key, but not an Ed25519 one: no Matrix role can use it.</summary>
    public static KeyNotFoundOnTokenException KeyNotEd25519(string token, string keyId, string algorithm) => new(
        $"The {keyId} key on token {token} is {algorithm}; a Matrix key must be Ed25519 (RSA and NIST curves cannot sign Matrix JSON). " +
        "Generate or import an Ed25519 key there (the old key is lost), or configure another key.");

    /// <summary>The message is longer than the device can take; nothing was sent.</summary>
    public static NotSupportedByTokenException MessageTooLong(string token, int length, int limit, string reason) => new(
        $"Token {token} cannot sign a message of {length} bytes: the limit is {limit} bytes ({reason}). Nothing was sent to the token.");

    public static TokenRemovedException TokenRemoved(string token, Exception? inner = null) => new(
        $"Token {token} was removed or reset during the operation. Reinsert it and retry; nothing was signed.", inner);

    /// <summary>The handle was closed (the token is opened again after a device error) while this operation waited for it.</summary>
    public static TokenRemovedException Closed(string token, string operation) => new(
        $"Token {token} was closed and is being opened again after a device or middleware error; the {operation} did not reach it. Retry; nothing was signed.", null);

    public static TokenNotFoundException TokenNotFound(string what, string detail, Exception? inner = null) => new(
        $"No token {what} is present ({detail}). Insert it, check that pcscd (or the PKCS#11 module) sees it, and retry.", inner);

    /// <summary>
    /// Several devices answer to what names one: none is opened (the PIN would go to whichever came first). The kind is
    /// TokenNotFound (the token asked for cannot be told from the others: unavailable until one is removed).
    /// </summary>
    public static TokenNotFoundException TokenAmbiguous(string what, string candidates, string howToChoose) => new(
        $"More than one token {what} is present ({candidates}); none was opened and no PIN was sent. {howToChoose}.", null);

    public static KeyNotFoundOnTokenException KeyNotFound(string token, string keyId) => new(
        $"Token {token} holds no Ed25519 key named {keyId}. List the keys on the token, or generate one first.");

    public static KeyExistsException KeyExists(string token, string keyId) => new(
        $"Token {token} already holds a key in {keyId}. Choose another slot or label, or ask for an explicit overwrite (the old key is lost).");

    public static FirmwareUnsupportedException FirmwareUnsupported(string token, Version firmware, Version required) => new(
        $"Token {token} runs firmware {firmware}; Ed25519 in PIV needs firmware {required} or newer. Use a YubiKey with firmware {required}+ or a PKCS#11 token.",
        firmware);

    public static TokenOperationCancelledException Cancelled(string token, string operation, Exception? inner = null) => new(
        $"The {operation} on token {token} was cancelled before the token was asked; nothing was signed or changed.", inner);

    public static NotSupportedByTokenException NotSupported(string token, string what) => new(
        $"Token {token} does not support {what}.");

    public static ManagementKeyIncorrectException ManagementKeyIncorrect(string token) => new(
        $"Token {token} refused the PIV management key. Check the management key (and its algorithm) configured for this token.");

    public static ManagementKeyIncorrectException ManagementKeyRequired(string token) => new(
        $"Generating a key on token {token} needs its PIV management key and none was given.");

    public static DeviceErrorException Device(string token, string what, string code, Exception? inner = null) => new(
        $"Token {token}: {what} ({code}). If it persists, reinsert the token or check the middleware (pcscd, PKCS#11 module).", code, inner);

    /// <summary>A signature that did not verify (see <see cref="ISigningToken"/>): the key's problem, not the handle's.</summary>
    public static TokenException SignatureInvalid(string token, string keyId) => new(
        TokenErrorKind.SignatureInvalid,
        $"Token {token} returned a signature for key {keyId} that does not verify against the key's public key; it was discarded. " +
        "The device or middleware is faulty or the key was replaced: check the token before using it again.");
}
