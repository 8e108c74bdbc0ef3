using System.Security.Cryptography;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp.Apdu;

/// <summary>How commands longer than 255 bytes of data reach the card, from what the card says of itself.</summary>
internal enum LongCommands
{
    /// <summary>The card takes neither extended APDUs nor chaining (or we have not asked yet): 255 bytes at most.</summary>
    Refused,

    /// <summary>Command chaining: 255-byte chunks, CLA |= 10 on all but the last (ISO 7816-4 5.1.1.1).</summary>
    Chained,

    /// <summary>One extended-length APDU.</summary>
    Extended,
}

/// <summary>
/// Framing over the transport seam for the OpenPGP application: short APDUs; longer data as one extended APDU or a
/// chain, whichever the card announced (historical bytes, extended length information); response chaining
/// (61xx answered with GET RESPONSE until the final status word) in every case.
/// </summary>
internal sealed class PgpChannel
{
    private const int ChunkSize = 255;
    private const byte ChainBit = 0x10;

    private readonly IApduTransport _transport;

    public PgpChannel(IApduTransport transport)
    {
        _transport = transport;
    }

    /// <summary>Set once the card's capabilities are known (before that, only short commands are sent).</summary>
    public LongCommands LongCommands { get; set; } = LongCommands.Refused;

    public ResponseApdu Transmit(PgpCommand command)
    {
        try
        {
            var response = command.Data.Length <= ChunkSize
                ? Send(command.EncodeShort(), command.Sensitive)
                : LongCommands switch
                {
                    LongCommands.Extended => Send(command.EncodeExtended(), command.Sensitive),
                    LongCommands.Chained => SendChained(command),
                    _ => throw new InvalidOperationException($"a command of {command.Data.Length} bytes reached a card that takes at most {ChunkSize}: the message limit check was skipped"),
                };
            return response.Sw1 == StatusWords.MoreDataSw1 ? ResponseChaining.Collect(_transport, response) : response;
        }
        finally
        {
            command.Clear();
        }
    }

    private ResponseApdu Send(byte[] apdu, bool sensitive)
    {
        try
        {
            return ResponseApdu.Parse(_transport.Transmit(apdu));
        }
        finally
        {
            if (sensitive)
            {
                CryptographicOperations.ZeroMemory(apdu);
            }
        }
    }

    private ResponseApdu SendChained(PgpCommand command)
    {
        var data = command.Data;
        int offset = 0;
        while (true)
        {
            int length = Math.Min(ChunkSize, data.Length - offset);
            bool last = offset + length == data.Length;
            byte cla = last ? command.Cla : (byte)(command.Cla | ChainBit);
            var response = Send(PgpCommand.EncodeShort(cla, command.Ins, command.P1, command.P2, data.AsSpan(offset, length), last && command.ExpectsData), command.Sensitive);
            offset += length;
            if (last || !response.IsSuccess)
            {
                return response;
            }
        }
    }
}
