namespace KeyCustody.Tokens.Pcsc;

/// <summary>PC/SC return codes as domain errors, at the one place they come out of libpcsclite.</summary>
internal static class PcscErrors
{
    public static void ThrowIfFailed(nint result, string token, string operation)
    {
        if (result != 0)
        {
            throw ToError(Scard.Code(result), token, operation);
        }
    }

    public static TokenException ToError(uint code, string token, string operation) => code switch
    {
        Scard.WRemovedCard or Scard.WResetCard or Scard.ENoSmartcard or Scard.EReaderUnavailable
            or Scard.EUnknownReader or Scard.WUnpoweredCard or Scard.WUnresponsiveCard or Scard.EInvalidHandle or Scard.ECommDataLost
            or Scard.ENotTransacted =>
            TokenErrors.TokenRemoved(token, new IOException($"{operation}: {Name(code)}")),
        Scard.ENoService or Scard.EServiceStopped => TokenErrors.Device(
            token, $"{operation}: the PC/SC daemon is not running (start pcscd)", Name(code)),
        Scard.ESharingViolation => TokenErrors.Device(
            token, $"{operation}: another program holds the card exclusively (close it, e.g. gpg's scdaemon)", Name(code)),
        Scard.ECancelled => TokenErrors.Cancelled(token, operation),
        _ => TokenErrors.Device(token, $"{operation} failed in PC/SC", Name(code)),
    };

    public static string Name(uint code) => code switch
    {
        Scard.ECancelled => "SCARD_E_CANCELLED",
        Scard.EInvalidHandle => "SCARD_E_INVALID_HANDLE",
        Scard.EInsufficientBuffer => "SCARD_E_INSUFFICIENT_BUFFER",
        Scard.EUnknownReader => "SCARD_E_UNKNOWN_READER",
        Scard.ETimeout => "SCARD_E_TIMEOUT",
        Scard.ESharingViolation => "SCARD_E_SHARING_VIOLATION",
        Scard.ENoSmartcard => "SCARD_E_NO_SMARTCARD",
        Scard.EReaderUnavailable => "SCARD_E_READER_UNAVAILABLE",
        Scard.ENotTransacted => "SCARD_E_NOT_TRANSACTED",
        Scard.ENoService => "SCARD_E_NO_SERVICE",
        Scard.EServiceStopped => "SCARD_E_SERVICE_STOPPED",
        Scard.ENoReadersAvailable => "SCARD_E_NO_READERS_AVAILABLE",
        Scard.ECommDataLost => "SCARD_E_COMM_DATA_LOST",
        Scard.WUnresponsiveCard => "SCARD_W_UNRESPONSIVE_CARD",
        Scard.WUnpoweredCard => "SCARD_W_UNPOWERED_CARD",
        Scard.WResetCard => "SCARD_W_RESET_CARD",
        Scard.WRemovedCard => "SCARD_W_REMOVED_CARD",
        _ => $"PC/SC 0x{code:X8}",
    };
}
