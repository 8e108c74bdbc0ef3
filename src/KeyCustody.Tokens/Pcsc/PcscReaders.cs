using System.Runtime.InteropServices;
using System.Text;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.Pcsc;

/// <summary>
/// The PC/SC readers pcscd knows: which hold a card, connecting to one, and hot-plug notifications through
/// SCardGetStatusChange (including the PnP pseudo-reader, so new readers are seen too). Waiting uses its own
/// context, so it never blocks connections.
/// </summary>
public sealed class PcscReaders : ISmartCardReaders
{
    private readonly SafeContextHandle _context;
    private readonly object _monitorGate = new();
    private SafeContextHandle? _monitor;
    private Dictionary<string, nuint> _known = new(StringComparer.Ordinal);

    private PcscReaders(SafeContextHandle context)
    {
        _context = context;
    }

    /// <summary>Connects to pcscd; <see cref="DeviceErrorException"/> if it is not running.</summary>
    public static PcscReaders Open() => new(SafeContextHandle.Establish());

    public IReadOnlyList<string> ReadersWithCard()
    {
        var readers = ListReaders(_context);
        return Snapshot(_context, readers)
            .Where(state => (state.Event & Scard.StatePresent) != 0 && (state.Event & Scard.StateMute) == 0)
            .Select(state => state.Reader)
            .ToList();
    }

    public ISmartCardConnection? Connect(string reader)
    {
        var result = NativeMethods.SCardConnect(_context, reader, Scard.ShareShared, Scard.ProtocolT1 | Scard.ProtocolT0, out var card, out var protocol);
        var code = Scard.Code(result);
        if (code is Scard.ENoSmartcard or Scard.WRemovedCard or Scard.EUnknownReader or Scard.EReaderUnavailable
            or Scard.ESharingViolation or Scard.WUnresponsiveCard or Scard.WUnpoweredCard)
        {
            return null;
        }

        PcscErrors.ThrowIfFailed(result, $"in reader \"{reader}\"", "SCardConnect");
        return new PcscConnection(SafeCardHandle.Own(card, _context), protocol, reader);
    }

    public bool WaitForChange(TimeSpan timeout, CancellationToken cancellation)
    {
        lock (_monitorGate)
        {
            _monitor ??= SafeContextHandle.Establish();
            var readers = ListReaders(_monitor).Append(Scard.PnpNotification).ToList();
            var current = readers.ToDictionary(reader => reader, reader => _known.GetValueOrDefault(reader, Scard.StateUnaware), StringComparer.Ordinal);
            using var registration = cancellation.Register(() => NativeMethods.SCardCancel(_monitor));
            var (changed, states) = GetStatusChange(_monitor, current, (nuint)Math.Clamp(timeout.TotalMilliseconds, 0, uint.MaxValue - 1));
            _known = states.ToDictionary(state => state.Reader, state => state.Event & ~Scard.StateChanged, StringComparer.Ordinal);
            return changed;
        }
    }

    public void Dispose()
    {
        lock (_monitorGate)
        {
            _monitor?.Dispose();
        }

        _context.Dispose();
    }

    private static List<(string Reader, nuint Event)> Snapshot(SafeContextHandle context, List<string> readers)
    {
        if (readers.Count == 0)
        {
            return [];
        }

        var current = readers.ToDictionary(reader => reader, _ => Scard.StateUnaware, StringComparer.Ordinal);
        return GetStatusChange(context, current, 0).States;
    }

    private static unsafe (bool Changed, List<(string Reader, nuint Event)> States) GetStatusChange(
        SafeContextHandle context, Dictionary<string, nuint> current, nuint timeoutMs)
    {
        var names = current.Keys.ToList();
        var pointers = names.Select(name => Marshal.StringToCoTaskMemUTF8(name)).ToArray();
        var states = new NativeMethods.ReaderState[names.Count];
        try
        {
            for (int i = 0; i < names.Count; i++)
            {
                states[i].Reader = pointers[i];
                states[i].CurrentState = current[names[i]];
            }

            nint result;
            fixed (NativeMethods.ReaderState* pointer = states)
            {
                result = NativeMethods.SCardGetStatusChange(context, timeoutMs, pointer, (nuint)states.Length);
            }

            var code = Scard.Code(result);
            if (code == Scard.ETimeout)
            {
                return (false, names.Select((name, i) => (name, states[i].CurrentState)).ToList());
            }

            if (code == Scard.ECancelled)
            {
                throw new OperationCanceledException("waiting for a card was cancelled");
            }

            if (code == Scard.EUnknownReader)
            {
                // A reader vanished between listing and waiting: that is a change.
                return (true, []);
            }

            PcscErrors.ThrowIfFailed(result, "pcscd", "SCardGetStatusChange");
            return (true, names.Select((name, i) => (name, states[i].EventState)).ToList());
        }
        finally
        {
            foreach (var pointer in pointers)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    private static unsafe List<string> ListReaders(SafeContextHandle context)
    {
        nuint length = 0;
        var result = NativeMethods.SCardListReaders(context, null, null, ref length);
        if (Scard.Code(result) == Scard.ENoReadersAvailable)
        {
            return [];
        }

        PcscErrors.ThrowIfFailed(result, "pcscd", "SCardListReaders");
        var buffer = new byte[(int)length];
        fixed (byte* pointer = buffer)
        {
            result = NativeMethods.SCardListReaders(context, null, pointer, ref length);
        }

        if (Scard.Code(result) == Scard.ENoReadersAvailable)
        {
            return [];
        }

        PcscErrors.ThrowIfFailed(result, "pcscd", "SCardListReaders");
        return Encoding.UTF8.GetString(buffer, 0, (int)length)
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .ToList();
    }
}
