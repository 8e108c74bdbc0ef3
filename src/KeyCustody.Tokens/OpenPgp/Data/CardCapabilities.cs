using KeyCustody.Tokens.OpenPgp.Apdu;

namespace KeyCustody.Tokens.OpenPgp.Data;

/// <summary>
/// How long a message the card can be asked to sign, and how to send it, from what the card says of itself: the card
/// capabilities in its historical bytes (ISO 7816-4 §8.1.1.2.7: command chaining, extended Lc/Le) and its extended
/// length information (7F66), corrected where a model is known to take less than it announces.
/// </summary>
internal sealed record CardCapabilities(bool Chaining, bool ExtendedLength, LongCommands LongCommands, int MaxMessageLength, string LimitReason)
{
    /// <summary>Header (4), extended Lc (3) and extended Le (2) around the data of an extended APDU.</summary>
    private const int ExtendedOverhead = 9;

    /// <summary>Nitrokey 3 (opcard on trussed): 1 KiB, whatever 7F66 says (1DB9); 6A84 above.</summary>
    public const int Nitrokey3Limit = 1024;

    /// <summary>Gnuk 1.2.16+ (Nitrokey Start), the OpenPGP 2.x card with Ed25519: MAX_CMD_APDU_DATA_SIZE.</summary>
    public const int GnukLimit = 540;

    public static CardCapabilities From(ApplicationData data)
    {
        var (chaining, extended) = ReadHistorical(data.Historical);
        var mode = extended && data.MaxCommandApdu is not null ? LongCommands.Extended : chaining ? LongCommands.Chained : LongCommands.Refused;
        if (data.Aid.Manufacturer == OpenPgpAid.Nitrokey && data.Aid.SpecVersion.Major >= 3)
        {
            return new(chaining, extended, mode, Nitrokey3Limit, $"a Nitrokey 3 signs at most {Nitrokey3Limit} bytes (its firmware's message buffer)");
        }

        if (mode == LongCommands.Extended)
        {
            int limit = data.MaxCommandApdu!.Value - ExtendedOverhead;
            return new(chaining, extended, mode, limit, $"the card takes command APDUs of at most {data.MaxCommandApdu} bytes (extended length information 7F66), {limit} bytes of message");
        }

        if (mode == LongCommands.Chained)
        {
            return data.Aid.SpecVersion.Major < 3
                ? new(chaining, extended, mode, GnukLimit, $"an OpenPGP {data.Aid.SpecVersion} card (Gnuk, Nitrokey Start) takes at most {GnukLimit} bytes of command data")
                : new(chaining, extended, mode, 255, "the card states no command length limit (no 7F66), so no more than one short APDU is sent");
        }

        return new(chaining, extended, mode, 255, "the card takes neither extended APDUs nor command chaining: one short APDU, 255 bytes");
    }

    /// <summary>(chaining, extended Lc/Le) from the third card-capabilities byte (tag 7) of the historical bytes.</summary>
    private static (bool Chaining, bool Extended) ReadHistorical(byte[] historical)
    {
        if (historical.Length < 1 || historical[0] is not (0x00 or 0x80))
        {
            return (false, false);
        }

        // Category 00: a 3-byte status indicator ends the bytes and is not COMPACT-TLV; category 80: all of it is.
        int end = historical[0] == 0x00 ? historical.Length - 3 : historical.Length;
        int offset = 1;
        while (offset < end)
        {
            int tag = historical[offset] >> 4;
            int length = historical[offset] & 0x0F;
            offset++;
            if (offset + length > end)
            {
                break;
            }

            if (tag == 0x7 && length >= 3)
            {
                byte third = historical[offset + 2];
                return ((third & 0x80) != 0, (third & 0x40) != 0);
            }

            offset += length;
        }

        return (false, false);
    }
}
