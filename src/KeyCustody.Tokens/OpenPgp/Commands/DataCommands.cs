using KeyCustody.Tokens.OpenPgp.Apdu;
using KeyCustody.Tokens.OpenPgp.Data;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp.Commands;

/// <summary>GET DATA (CA) and PUT DATA (DA) of simple data objects.</summary>
internal static class DataCommands
{
    public const int ApplicationRelatedData = 0x006E;
    public const int SecuritySupportTemplate = 0x007A;
    public const int PwStatusBytes = 0x00C4;

    /// <summary><c>00 CA tag-hi tag-lo 00</c>.</summary>
    public static PgpCommand Get(int tag) => new(0x00, 0xCA, (byte)(tag >> 8), (byte)tag, expectsData: true);

    /// <summary>The object's value; null when the card has no such object (6A88, 6A82).</summary>
    public static byte[]? ParseGet(ResponseApdu response, int tag, OpenPgpErrorContext context)
    {
        if (response.StatusWord is OpenPgpErrorContext.ReferencedDataNotFound or StatusWords.FileNotFound)
        {
            return null;
        }

        return response.IsSuccess ? response.Data : throw context.Unexpected(response.StatusWord, $"GET DATA {tag:X4}");
    }

    public static ApplicationData ParseApplicationData(ResponseApdu response, OpenPgpErrorContext context)
    {
        var data = ParseGet(response, ApplicationRelatedData, context) ?? throw context.Unexpected(response.StatusWord, "GET DATA 006E");
        try
        {
            return ApplicationData.Parse(data);
        }
        catch (InvalidDataException e)
        {
            throw context.Malformed("GET DATA 006E", e);
        }
    }

    /// <summary>The digital signature counter (93 inside 7A): PSO:CDS operations since the signature key was made.</summary>
    public static uint? ParseSignatureCounter(ResponseApdu response, OpenPgpErrorContext context)
    {
        if (ParseGet(response, SecuritySupportTemplate, context) is not { } template)
        {
            return null;
        }

        try
        {
            var counter = Ber.Find(Ber.ReadAll(Ber.Unwrap(template, 0x7A)), 0x93) ?? throw new InvalidDataException("no signature counter (93)");
            return counter.Length is >= 1 and <= 3 ? counter.Aggregate(0u, (n, b) => (n << 8) | b) : throw new InvalidDataException($"a counter of {counter.Length} bytes");
        }
        catch (InvalidDataException e)
        {
            throw context.Malformed("GET DATA 007A", e);
        }
    }

    /// <summary><c>00 DA tag-hi tag-lo Lc value</c> (needs PW3).</summary>
    public static PgpCommand Put(int tag, byte[] value) => new(0x00, 0xDA, (byte)(tag >> 8), (byte)tag, value);

    public static void ParsePut(ResponseApdu response, int tag, OpenPgpErrorContext context)
    {
        if (response.StatusWord == StatusWords.SecurityStatusNotSatisfied)
        {
            throw TokenErrors.Device(context.Token, $"the card refused to write data object {tag:X4} without the admin PIN", StatusWords.Format(response.StatusWord));
        }

        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, $"PUT DATA {tag:X4}");
        }
    }
}
