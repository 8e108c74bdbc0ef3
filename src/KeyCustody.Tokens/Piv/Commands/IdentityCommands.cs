using System.Buffers.Binary;

namespace KeyCustody.Tokens.Piv.Commands;

/// <summary>SELECT the PIV application, GET VERSION (FD), GET SERIAL (F8).</summary>
internal static class IdentityCommands
{
    /// <summary>The 5-byte AID prefix, as ykman and ykpiv select it.</summary>
    public static readonly byte[] PivAid = [0xA0, 0x00, 0x00, 0x03, 0x08];

    public static CommandApdu Select() => new(0x00, 0xA4, 0x04, 0x00, PivAid.ToArray());

    public static void ParseSelect(ResponseApdu response, PivErrorContext context)
    {
        if (response.StatusWord is StatusWords.FileNotFound or StatusWords.FunctionNotSupported)
        {
            throw TokenErrors.Device(context.Token, "the card has no PIV application (or it is disabled)", StatusWords.Format(response.StatusWord));
        }

        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "SELECT PIV");
        }
    }

    public static CommandApdu GetVersion() => new(0x00, 0xFD, 0x00, 0x00);

    public static Version ParseVersion(ResponseApdu response, PivErrorContext context)
    {
        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "GET VERSION");
        }

        if (response.Data.Length != 3)
        {
            throw context.Malformed("GET VERSION", new InvalidDataException($"expected 3 bytes, got {response.Data.Length}"));
        }

        return new Version(response.Data[0], response.Data[1], response.Data[2]);
    }

    public static CommandApdu GetSerial() => new(0x00, 0xF8, 0x00, 0x00);

    public static uint ParseSerial(ResponseApdu response, PivErrorContext context)
    {
        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "GET SERIAL");
        }

        if (response.Data.Length != 4)
        {
            throw context.Malformed("GET SERIAL", new InvalidDataException($"expected 4 bytes, got {response.Data.Length}"));
        }

        return BinaryPrimitives.ReadUInt32BigEndian(response.Data);
    }
}
