using System.Runtime.InteropServices;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>libpcsclite on Linux x86_64: DWORD and LONG are 8 bytes (nuint/nint). Test-only client.</summary>
internal static class NativePcsc
{
    private const string Library = "libpcsclite.so.1";

    public const long Success = 0;
    public const long NoSmartcard = unchecked((int)0x8010000C);
    public const long RemovedCard = unchecked((int)0x80100069);
    public const long ResetCard = unchecked((int)0x80100068);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoRequest
    {
        public nuint Protocol;
        public nuint PciLength;
    }

    [DllImport(Library)]
    public static extern nint SCardEstablishContext(nuint scope, nint reserved1, nint reserved2, out nint context);

    [DllImport(Library)]
    public static extern nint SCardReleaseContext(nint context);

    [DllImport(Library)]
    public static extern nint SCardListReaders(nint context, nint groups, byte[]? readers, ref nuint length);

    [DllImport(Library)]
    public static extern nint SCardConnect(nint context, byte[] reader, nuint shareMode, nuint protocols, out nint card, out nuint activeProtocol);

    [DllImport(Library)]
    public static extern nint SCardDisconnect(nint card, nuint disposition);

    [DllImport(Library)]
    public static extern nint SCardTransmit(nint card, ref IoRequest sendPci, byte[] send, nuint sendLength, nint receivePci, byte[] receive, ref nuint receiveLength);

    /// <summary><paramref name="states"/> points at SCARD_READERSTATE structs (80 bytes each on x86_64).</summary>
    [DllImport(Library)]
    public static extern nint SCardGetStatusChange(nint context, nuint timeoutMs, nint states, nuint count);

    [DllImport(Library)]
    public static extern nint SCardStatus(nint card, byte[]? readerName, ref nuint readerLength, out nuint state, out nuint protocol, byte[] atr, ref nuint atrLength);
}
