using System.Security.Cryptography;

namespace KeyCustody.Tokens.Piv;

/// <summary>
/// Framing over the transport seam: command chaining (data over 255 bytes in 255-byte chunks, CLA |= 0x10 on all
/// but the last) and response chaining (61xx answered with GET RESPONSE until the final status word).
/// </summary>
internal sealed class ChainingChannel
{
    private const int ChunkSize = 255;
    private const byte ChainBit = 0x10;

    private readonly IApduTransport _transport;

    public ChainingChannel(IApduTransport transport)
    {
        _transport = transport;
    }

    /// <summary>
    /// Sends the whole command (all chunks) and collects the whole answer. A sensitive command's data is zeroed after,
    /// unless <paramref name="keep"/> (the caller may have to send it again, and clears it itself).
    /// </summary>
    public ResponseApdu Transmit(CommandApdu command, bool keep = false)
    {
        try
        {
            var response = SendChained(command);
            return response.Sw1 == StatusWords.MoreDataSw1 ? ResponseChaining.Collect(_transport, response) : response;
        }
        finally
        {
            if (!keep)
            {
                command.Clear();
            }
        }
    }

    private ResponseApdu SendChained(CommandApdu command)
    {
        var data = command.Data;
        int offset = 0;
        while (true)
        {
            int length = Math.Min(ChunkSize, data.Length - offset);
            bool last = offset + length == data.Length;
            byte cla = last ? command.Cla : (byte)(command.Cla | ChainBit);
            var apdu = CommandApdu.EncodeShort(cla, command.Ins, command.P1, command.P2, data.AsSpan(offset, length));
            ResponseApdu response;
            try
            {
                response = ResponseApdu.Parse(_transport.Transmit(apdu));
            }
            finally
            {
                if (command.Sensitive)
                {
                    CryptographicOperations.ZeroMemory(apdu);
                }
            }

            offset += length;
            if (last || !response.IsSuccess)
            {
                return response;
            }
        }
    }
}
