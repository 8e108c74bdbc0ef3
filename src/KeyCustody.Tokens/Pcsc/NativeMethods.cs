using System.Runtime.InteropServices;

namespace KeyCustody.Tokens.Pcsc;

/// <summary>
/// libpcsclite (Debian's libpcsclite1 ships only the .so.1). On Linux x86_64 DWORD and LONG are 8 bytes:
/// nuint/nint here. Return codes are LONG, sign-extended 0x801000xx values.
/// </summary>
internal static partial class NativeMethods
{
    private const string Library = "libpcsclite.so.1";

    [LibraryImport(Library)]
    public static partial nint SCardEstablishContext(nuint scope, nint reserved1, nint reserved2, out nint context);

    [LibraryImport(Library)]
    public static partial nint SCardReleaseContext(nint context);

    [LibraryImport(Library)]
    public static unsafe partial nint SCardListReaders(SafeContextHandle context, byte* groups, byte* readers, ref nuint length);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint SCardConnect(SafeContextHandle context, string reader, nuint shareMode, nuint preferredProtocols, out nint card, out nuint activeProtocol);

    [LibraryImport(Library)]
    public static partial nint SCardReconnect(SafeCardHandle card, nuint shareMode, nuint preferredProtocols, nuint initialization, out nuint activeProtocol);

    [LibraryImport(Library)]
    public static partial nint SCardDisconnect(nint card, nuint disposition);

    [LibraryImport(Library)]
    public static partial nint SCardBeginTransaction(SafeCardHandle card);

    [LibraryImport(Library)]
    public static partial nint SCardEndTransaction(SafeCardHandle card, nuint disposition);

    [LibraryImport(Library)]
    public static unsafe partial nint SCardTransmit(
        SafeCardHandle card, IoRequest* sendPci, byte* send, nuint sendLength, IoRequest* receivePci, byte* receive, ref nuint receiveLength);

    [LibraryImport(Library)]
    public static unsafe partial nint SCardGetStatusChange(SafeContextHandle context, nuint timeoutMs, ReaderState* states, nuint count);

    [LibraryImport(Library)]
    public static partial nint SCardCancel(SafeContextHandle context);

    /// <summary>SCARD_IO_REQUEST: { unsigned long dwProtocol; unsigned long cbPciLength; } = 16 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoRequest
    {
        public nuint Protocol;
        public nuint PciLength;
    }

    /// <summary>SCARD_READERSTATE with MAX_ATR_SIZE 33.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct ReaderState
    {
        public nint Reader;
        public nint UserData;
        public nuint CurrentState;
        public nuint EventState;
        public nuint AtrLength;
        public fixed byte Atr[33];
    }
}

/// <summary>PC/SC constants used here (pcsclite.h).</summary>
internal static class Scard
{
    public const nuint ScopeSystem = 2;
    public const nuint ShareShared = 2;
    public const nuint ProtocolT0 = 1;
    public const nuint ProtocolT1 = 2;
    public const nuint LeaveCard = 0;
    public const nuint StateUnaware = 0;
    public const nuint StateChanged = 0x02;
    public const nuint StateUnknown = 0x04;
    public const nuint StateUnavailable = 0x08;
    public const nuint StateEmpty = 0x10;
    public const nuint StatePresent = 0x20;
    public const nuint StateMute = 0x200;
    public const nuint Infinite = 0xFFFFFFFF;

    /// <summary>The pseudo-reader whose state changes when a reader is added or removed.</summary>
    public const string PnpNotification = @"\\?PnP?\Notification";

    public const uint Success = 0;
    public const uint ECancelled = 0x80100002;
    public const uint EInvalidHandle = 0x80100003;
    public const uint EInsufficientBuffer = 0x80100008;
    public const uint EUnknownReader = 0x80100009;
    public const uint ETimeout = 0x8010000A;
    public const uint ESharingViolation = 0x8010000B;
    public const uint ENoSmartcard = 0x8010000C;
    public const uint EReaderUnavailable = 0x80100017;
    public const uint ENotTransacted = 0x80100016;
    public const uint ENoService = 0x8010001D;
    public const uint EServiceStopped = 0x8010001E;
    public const uint ENoReadersAvailable = 0x8010002E;
    public const uint ECommDataLost = 0x8010002F;
    public const uint WUnresponsiveCard = 0x80100066;
    public const uint WUnpoweredCard = 0x80100067;
    public const uint WResetCard = 0x80100068;
    public const uint WRemovedCard = 0x80100069;

    public static uint Code(nint result) => unchecked((uint)result);
}
