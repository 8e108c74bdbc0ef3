using System.Runtime.InteropServices;
using System.Text;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>A small PC/SC client over libpcsclite for the tests: list readers, connect (T=1), transmit, status.</summary>
internal sealed class PcscClient : IDisposable
{
    private readonly nint _context;

    public PcscClient()
    {
        Check(NativePcsc.SCardEstablishContext(2, 0, 0, out _context), "SCardEstablishContext");
    }

    public List<string> Readers()
    {
        nuint length = 0;
        long rc = NativePcsc.SCardListReaders(_context, 0, null, ref length);
        if (rc != NativePcsc.Success)
        {
            return [];
        }

        var buffer = new byte[length];
        Check(NativePcsc.SCardListReaders(_context, 0, buffer, ref length), "SCardListReaders");
        return Encoding.ASCII.GetString(buffer, 0, (int)length).Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    /// <summary>Connects shared with T=1; returns the PC/SC error code instead of throwing.</summary>
    public long TryConnect(string reader, out PcscCard? card)
    {
        card = null;
        var name = Encoding.ASCII.GetBytes(reader + "\0");
        long rc = NativePcsc.SCardConnect(_context, name, 2, 2, out var handle, out var protocol);
        if (rc == NativePcsc.Success)
        {
            card = new PcscCard(handle, protocol);
        }

        return rc;
    }

    /// <summary>Retries until the reader has a card (the simulator connected to vpcd) or the timeout passes.</summary>
    public PcscCard ConnectWhenPresent(string reader, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            long rc = TryConnect(reader, out var card);
            if (rc == NativePcsc.Success)
            {
                return card!;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"no card in '{reader}' after {timeout}: 0x{rc:X}");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>Waits with SCardGetStatusChange until the reader is empty; true if it was in time.</summary>
    /// <remarks>Polling with SCardConnect would not do: pcscd keeps reporting a card that clients keep using.</remarks>
    public bool WaitUntilAbsent(string reader, TimeSpan timeout) => WaitForState(reader, 0x10, timeout);

    /// <summary>Waits until the reader reports a card present.</summary>
    public bool WaitUntilPresent(string reader, TimeSpan timeout) => WaitForState(reader, 0x20, timeout);

    private bool WaitForState(string reader, long wanted, TimeSpan timeout)
    {
        // SCARD_READERSTATE on x86_64: szReader@0, pvUserData@8, dwCurrentState@16, dwEventState@24, cbAtr@32, rgbAtr[33]@40.
        const int size = 80;
        var name = Marshal.StringToHGlobalAnsi(reader);
        var state = Marshal.AllocHGlobal(size);
        try
        {
            Marshal.Copy(new byte[size], 0, state, size);
            Marshal.WriteIntPtr(state, 0, name);
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                long rc = NativePcsc.SCardGetStatusChange(_context, 250, state, 1);
                long events = Marshal.ReadInt64(state, 24);
                if (rc == NativePcsc.Success && (events & wanted) != 0)
                {
                    return true;
                }

                Marshal.WriteInt64(state, 16, rc == NativePcsc.Success ? events & ~0x2L : 0);
            }

            return false;
        }
        finally
        {
            Marshal.FreeHGlobal(state);
            Marshal.FreeHGlobal(name);
        }
    }

    public void Dispose() => NativePcsc.SCardReleaseContext(_context);

    internal static void Check(long rc, string what)
    {
        if (rc != NativePcsc.Success)
        {
            throw new InvalidOperationException($"{what} failed: 0x{rc:X}");
        }
    }
}

/// <summary>A connected card handle.</summary>
internal sealed class PcscCard : IDisposable
{
    private readonly nint _handle;

    public PcscCard(nint handle, nuint protocol)
    {
        _handle = handle;
        Protocol = protocol;
    }

    public nuint Protocol { get; }

    public long TryTransmit(byte[] command, out byte[] response)
    {
        var pci = new NativePcsc.IoRequest { Protocol = 2, PciLength = 16 };
        var buffer = new byte[65548];
        nuint length = (nuint)buffer.Length;
        long rc = NativePcsc.SCardTransmit(_handle, ref pci, command, (nuint)command.Length, 0, buffer, ref length);
        response = rc == NativePcsc.Success ? buffer[..(int)length] : [];
        return rc;
    }

    public byte[] Transmit(byte[] command)
    {
        PcscClient.Check(TryTransmit(command, out var response), "SCardTransmit");
        return response;
    }

    public byte[] Atr()
    {
        nuint readerLength = 0;
        var atr = new byte[33];
        nuint atrLength = (nuint)atr.Length;
        PcscClient.Check(NativePcsc.SCardStatus(_handle, null, ref readerLength, out _, out _, atr, ref atrLength), "SCardStatus");
        return atr[..(int)atrLength];
    }

    public void Dispose() => NativePcsc.SCardDisconnect(_handle, 0);
}
