using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>CKR codes as domain errors, in the one place they come out of our PKCS#11 binding.</summary>
internal static class Pkcs11Errors
{
    public static TokenException ToError(Pkcs11CallException e, string token, string operation, int? retriesLeft = null) => e.RV switch
    {
        // A length or a count the module should never have given (a buggy or hostile module): nothing was acted on.
        _ when e.Misbehaviour is { } what => TokenErrors.Device(token, $"{operation} failed: {what}", $"bad {e.Function} answer", e),
        CKR.CKR_PIN_INCORRECT => TokenErrors.PinIncorrect(token, retriesLeft),
        CKR.CKR_PIN_LOCKED => TokenErrors.PinBlocked(token),
        CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_INVALID => TokenErrors.PinFormatInvalid(token, "the token rejects its length or characters"),
        CKR.CKR_USER_NOT_LOGGED_IN => TokenErrors.PinRequired(token, null),
        CKR.CKR_DEVICE_REMOVED or CKR.CKR_TOKEN_NOT_PRESENT or CKR.CKR_TOKEN_NOT_RECOGNIZED or CKR.CKR_SESSION_HANDLE_INVALID
            or CKR.CKR_SESSION_CLOSED or CKR.CKR_SLOT_ID_INVALID or CKR.CKR_KEY_HANDLE_INVALID or CKR.CKR_OBJECT_HANDLE_INVALID
            or CKR.CKR_CRYPTOKI_NOT_INITIALIZED => TokenErrors.TokenRemoved(token, e),
        CKR.CKR_MECHANISM_INVALID or CKR.CKR_KEY_TYPE_INCONSISTENT or CKR.CKR_DOMAIN_PARAMS_INVALID => TokenErrors.NotSupported(
            token, "Ed25519 (CKM_EC_EDWARDS_KEY_PAIR_GEN/CKM_EDDSA, PKCS#11 3.0); use a module that implements them (SoftHSM2 2.6+, ykcs11 2.6.1+, yubihsm_pkcs11)"),
        CKR.CKR_DATA_LEN_RANGE => TokenErrors.NotSupported(token, "a message this long (the device's EdDSA buffer is smaller)"),
        CKR.CKR_FUNCTION_CANCELED => TokenErrors.Cancelled(token, operation, e),
        _ => TokenErrors.Device(token, $"{operation} failed", e.RV.ToString(), e),
    };

    public static TokenException ToError(CKR rv, string token, string operation, int? retriesLeft = null) =>
        ToError(new Pkcs11CallException(operation, rv), token, operation, retriesLeft);
}
