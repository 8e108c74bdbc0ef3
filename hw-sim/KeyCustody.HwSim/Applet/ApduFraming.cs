using System.Security.Cryptography;
using KeyCustody.HwSim.Apdu;

namespace KeyCustody.HwSim.Applet;

/// <summary>
/// Command chaining (CLA bit 0x10: every chunk but the last is answered 9000) and response chaining
/// (more than 256 bytes: 256 at a time with <c>61 xx</c>, continued by GET RESPONSE <c>00 C0 00 00</c>). An applet that
/// honours extended Le (OpenPGP) answers an extended command with up to Ne bytes at once, as the YubiKey 5.4.3 trace shows.
/// </summary>
internal sealed class ApduFraming
{
    /// <summary>The largest command the card takes after chaining (ykpiv's YKPIV_OBJ_MAX_SIZE) unless a profile says more.</summary>
    public const int MaxCommandData = 3072;

    private const int ChunkLength = 256;
    private const byte GetResponse = 0xC0;

    private readonly int _maxCommandData;
    private readonly Func<bool> _honoursExtendedLe;
    private int _pendingChunk = ChunkLength;

    private byte[] _chain = [];
    private int _chainLength;
    private (byte Ins, byte P1, byte P2)? _chainHeader;
    private byte[]? _pending;
    private int _pendingOffset;

    public ApduFraming(int maxCommandData = MaxCommandData, Func<bool>? honoursExtendedLe = null)
    {
        _maxCommandData = maxCommandData;
        _honoursExtendedLe = honoursExtendedLe ?? (() => false);
    }

    public byte[] Process(ReadOnlySpan<byte> raw, Func<CommandApdu, Response> dispatch)
    {
        if (!CommandApdu.TryParse(raw, out var apdu))
        {
            ResetChain();
            return Response.Encode([], StatusWord.WrongLength);
        }

        try
        {
            // Interindustry classes (00, 10 chained) and, unchained, the proprietary 80 (Yubico's GET ATTESTATION; the
            // applets refuse it otherwise).
            if ((apdu!.Cla & ~0x10) != 0 && apdu.Cla != 0x80)
            {
                ResetChain();
                return Response.Encode([], StatusWord.ClassNotSupported);
            }

            if (apdu.Ins == GetResponse && !apdu.IsChained)
            {
                return NextChunk();
            }

            _pending = null;
            return apdu.IsChained ? Append(apdu) : Complete(apdu, dispatch);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(apdu!.Data);
        }
    }

    public void Reset()
    {
        ResetChain();
        _pending = null;
        _pendingChunk = ChunkLength;
    }

    private byte[] Append(CommandApdu apdu)
    {
        var header = (apdu.Ins, apdu.P1, apdu.P2);
        if (_chainHeader != header)
        {
            ResetChain();
            _chainHeader = header;
        }

        if (_chainLength + apdu.Data.Length > _maxCommandData)
        {
            ResetChain();
            return Response.Encode([], StatusWord.WrongLength);
        }

        if (_chain.Length < _chainLength + apdu.Data.Length)
        {
            var larger = new byte[_maxCommandData];
            _chain.AsSpan(0, _chainLength).CopyTo(larger);
            CryptographicOperations.ZeroMemory(_chain);
            _chain = larger;
        }

        apdu.Data.CopyTo(_chain, _chainLength);
        _chainLength += apdu.Data.Length;
        return Response.Encode([], StatusWord.Success);
    }

    private byte[] Complete(CommandApdu apdu, Func<CommandApdu, Response> dispatch)
    {
        var command = apdu;
        if (_chainHeader is { } header)
        {
            if (header != (apdu.Ins, apdu.P1, apdu.P2))
            {
                ResetChain();
                return Response.Encode([], StatusWord.LastCommandOfChainExpected);
            }

            if (_chainLength + apdu.Data.Length > _maxCommandData)
            {
                ResetChain();
                return Response.Encode([], StatusWord.WrongLength);
            }

            var data = new byte[_chainLength + apdu.Data.Length];
            _chain.AsSpan(0, _chainLength).CopyTo(data);
            apdu.Data.CopyTo(data, _chainLength);
            command = new CommandApdu(apdu.Cla, apdu.Ins, apdu.P1, apdu.P2, data, apdu.ExpectedLength, apdu.IsExtended);
            ResetChain();
        }

        try
        {
            var response = dispatch(command);
            int chunk = command.IsExtended && _honoursExtendedLe() ? command.ExpectedLength ?? ChunkLength : ChunkLength;
            if (response.Data.Length <= chunk)
            {
                return Response.Encode(response.Data, response.Sw);
            }

            _pending = response.Data;
            _pendingOffset = 0;
            _pendingChunk = chunk;
            return NextChunk();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(command.Data);
        }
    }

    private byte[] NextChunk()
    {
        if (_pending is null)
        {
            return Response.Encode([], StatusWord.IncorrectData);
        }

        int length = Math.Min(_pendingChunk, _pending.Length - _pendingOffset);
        var chunk = _pending.AsSpan(_pendingOffset, length);
        _pendingOffset += length;
        int remaining = _pending.Length - _pendingOffset;
        if (remaining == 0)
        {
            _pending = null;
            return Response.Encode(chunk, StatusWord.Success);
        }

        // 61 xx: xx bytes remain; 00 means 256 or more.
        return Response.Encode(chunk, (ushort)(StatusWord.MoreDataBase | (remaining > 0xFF ? 0 : remaining)));
    }

    private void ResetChain()
    {
        CryptographicOperations.ZeroMemory(_chain);
        _chainLength = 0;
        _chainHeader = null;
    }
}
