namespace KeyCustody.Tokens.Piv;

/// <summary>
/// ISO 7816-4 response chaining, as PIV and the OpenPGP card both use it: while the card answers 61 XX, GET RESPONSE
/// (00 C0 00 00 XX) fetches the next part; the parts are one response with the last part's status word.
/// </summary>
internal static class ResponseChaining
{
    private const byte GetResponseIns = 0xC0;
    private const int MaxResponse = 64 * 1024;

    /// <summary>The whole response that began with <paramref name="first"/> (whose SW1 is 61).</summary>
    public static ResponseApdu Collect(IApduTransport transport, ResponseApdu first)
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

            response = ResponseApdu.Parse(transport.Transmit([0x00, GetResponseIns, 0x00, 0x00, response.Sw2]));
        }

        collected.Write(response.Data);
        return new ResponseApdu(collected.ToArray(), response.StatusWord);
    }
}
