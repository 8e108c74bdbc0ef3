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
    private const byte GetResponseIns = 0xC0;
    private const int MaxResponse = 64 * 1024;

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
            return response.Sw1 == StatusWords.MoreDataSw1 ? CollectChained(response) : response;
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

    private ResponseApdu CollectChained(ResponseApdu first)
    {
        using var collected = new MemoryStream();
        var response = first;
        while (response.Sw1 == StatusWords.MoreDataSw1)
        {
            collected.Write(response.Data);
            if (collected.Length > MaxResponse)
            {
                throw new InvalidDataException("response chaining did not end within 64 KiB");
            }

            var getResponse = new byte[] { 0x00, GetResponseIns, 0x00, 0x00, response.Sw2 };
            response = ResponseApdu.Parse(_transport.Transmit(getResponse));
        }

        collected.Write(response.Data);
        return new ResponseApdu(collected.ToArray(), response.StatusWord);
    }
}
