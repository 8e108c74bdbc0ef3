using System.Security.Cryptography;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.Pcsc;

/// <summary>
/// One shared-mode PC/SC connection to the card in a reader (T=1). Transactions are held only around a
/// multi-APDU sequence so other PC/SC programs can use the card in between. A reset by another program is
/// absorbed at the start of a transaction (reconnect) and counted in <see cref="Resets"/>; a removal is a
/// <see cref="TokenRemovedException"/>.
/// </summary>
internal sealed class PcscConnection : ISmartCardConnection
{
    private const int ReceiveBufferSize = 4096;

    private readonly SafeCardHandle _card;
    private readonly string _reader;
    private readonly byte[] _receive = GC.AllocateArray<byte>(ReceiveBufferSize, pinned: true);
    private nuint _protocol;
    private long _resets;

    public PcscConnection(SafeCardHandle card, nuint protocol, string reader)
    {
        _card = card;
        _protocol = protocol;
        _reader = reader;
    }

    private string Name => $"in reader \"{_reader}\"";

    public long Resets => Interlocked.Read(ref _resets);

    public unsafe byte[] Transmit(ReadOnlySpan<byte> command)
    {
        var pci = new NativeMethods.IoRequest { Protocol = _protocol, PciLength = (nuint)sizeof(NativeMethods.IoRequest) };
        nuint length = ReceiveBufferSize;
        nint result;
        fixed (byte* send = command)
        fixed (byte* receive = _receive)
        {
            result = NativeMethods.SCardTransmit(_card, &pci, send, (nuint)command.Length, null, receive, ref length);
        }

        try
        {
            PcscErrors.ThrowIfFailed(result, Name, "SCardTransmit");
            if (length < 2)
            {
                // vpcd (and some readers) report success with nothing when the card vanished mid-command.
                throw TokenErrors.TokenRemoved(Name, new IOException($"SCardTransmit returned {length} bytes, no status word"));
            }

            return _receive.AsSpan(0, (int)length).ToArray();
        }
        finally
        {
            // Responses can carry secrets (management-key witness); do not leave them in the reusable buffer.
            CryptographicOperations.ZeroMemory(_receive.AsSpan(0, (int)Math.Min(length, (nuint)ReceiveBufferSize)));
        }
    }

    public IDisposable BeginTransaction()
    {
        var result = NativeMethods.SCardBeginTransaction(_card);
        if (Scard.Code(result) == Scard.WResetCard)
        {
            // Another program reset the card: the PIV session (selected applet, verified PIN) is gone. The count tells
            // the PIV session to forget what it knew and select PIV again.
            PcscErrors.ThrowIfFailed(
                NativeMethods.SCardReconnect(_card, Scard.ShareShared, Scard.ProtocolT1 | Scard.ProtocolT0, Scard.LeaveCard, out _protocol),
                Name,
                "SCardReconnect");
            Interlocked.Increment(ref _resets);
            result = NativeMethods.SCardBeginTransaction(_card);
        }

        PcscErrors.ThrowIfFailed(result, Name, "SCardBeginTransaction");
        return new Transaction(_card);
    }

    public void Dispose() => _card.Dispose();

    private sealed class Transaction(SafeCardHandle card) : IDisposable
    {
        private bool _ended;

        public void Dispose()
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            if (!card.IsClosed)
            {
                // Failure here means the card left; the next operation reports that.
                _ = NativeMethods.SCardEndTransaction(card, Scard.LeaveCard);
            }
        }
    }
}
