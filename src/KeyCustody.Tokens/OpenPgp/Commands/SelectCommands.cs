using KeyCustody.Tokens.OpenPgp.Apdu;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp.Commands;

/// <summary>SELECT of the OpenPGP application, and Yubico's GET VERSION (F1) for the firmware.</summary>
internal static class SelectCommands
{
    /// <summary><c>00 A4 04 00 06 D2 76 00 01 24 01</c>: RID and application only, the rest of the AID is the card's.</summary>
    public static PgpCommand Select() => new(0x00, 0xA4, 0x04, 0x00, OpenPgpAid.SelectName.ToArray());

    public static void ParseSelect(ResponseApdu response, OpenPgpErrorContext context)
    {
        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "SELECT OpenPGP");
        }
    }

    /// <summary><c>00 F1 00 00 00</c>: a YubiKey's firmware version (3 bytes); other cards refuse it.</summary>
    public static PgpCommand GetVersion() => new(0x00, 0xF1, 0x00, 0x00, expectsData: true);

    /// <summary>The firmware, or null when the card does not know the command (not a YubiKey).</summary>
    public static Version? ParseVersion(ResponseApdu response)
    {
        if (!response.IsSuccess || response.Data.Length < 3)
        {
            return null;
        }

        // ykman reads the three bytes as BCD; for the digits 0-9 that is the same as binary.
        return new Version(Bcd(response.Data[0]), Bcd(response.Data[1]), Bcd(response.Data[2]));
    }

    private static int Bcd(byte value) => (value >> 4) <= 9 && (value & 0xF) <= 9 ? (10 * (value >> 4)) + (value & 0xF) : value;
}
