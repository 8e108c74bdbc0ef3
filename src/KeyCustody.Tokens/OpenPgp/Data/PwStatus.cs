namespace KeyCustody.Tokens.OpenPgp.Data;

/// <summary>
/// PW status bytes (C4, §4.4.3.10): whether PW1 is valid for one PSO:CDS or several, the maximum lengths of PW1,
/// the resetting code and PW3, and the attempts left for each.
/// </summary>
internal sealed record PwStatus(bool Pw1ForOneSignature, int Pw1MaxLength, int ResetCodeMaxLength, int Pw3MaxLength, int Pw1Retries, int ResetCodeRetries, int Pw3Retries)
{
    /// <summary>Reads the 7 bytes; throws <see cref="InvalidDataException"/> for fewer.</summary>
    public static PwStatus Parse(ReadOnlySpan<byte> value)
    {
        if (value.Length < 7)
        {
            throw new InvalidDataException($"PW status bytes (C4) are 7 bytes, got {value.Length}");
        }

        // Byte 1: 00 = PW1 valid for one PSO:CDS only, 01 = for several (ykman reads anything else as 01, so do we).
        // Bit 8 of the length bytes marks a PIN block 2 format; the length is the low 7 bits.
        return new PwStatus(value[0] == 0x00, value[1] & 0x7F, value[2] & 0x7F, value[3] & 0x7F, value[4], value[5], value[6]);
    }
}
