using KeyCustody.Tokens.OpenPgp.Data;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp;

/// <summary>An OpenPGP card found in a reader, connected, its application selected and its data read once.</summary>
internal sealed record FoundOpenPgpCard(ISmartCardConnection Connection, OpenPgpSession Session, OpenPgpAid Aid, Version? Firmware);

/// <summary>What discovery reports of an OpenPGP card: its serial (from the AID), vendor, firmware where known.</summary>
public sealed record OpenPgpCardInfo(uint Serial, string Manufacturer, Version SpecVersion, Version? Firmware, string ApplicationId);

/// <summary>
/// Finds OpenPGP cards by the serial in their AID: connects to each reader that holds a card, selects the OpenPGP
/// application and reads its application related data. Reader names and positions are never used to choose a card.
/// Two cards that answer to the same serial (another manufacturer's serial range) are refused, never guessed between.
/// </summary>
internal static class OpenPgpCardFinder
{
    public static FoundOpenPgpCard? Find(ISmartCardReaders readers, uint serial)
    {
        FoundOpenPgpCard? match = null;
        foreach (var reader in readers.ReadersWithCard())
        {
            var card = Identify(readers, reader);
            if (card is null)
            {
                continue;
            }

            if (card.Aid.Serial != serial)
            {
                card.Connection.Dispose();
                continue;
            }

            if (match is not null)
            {
                card.Connection.Dispose();
                match.Connection.Dispose();
                throw TokenErrors.Device(OpenPgpToken.NameOf(serial),
                    $"two OpenPGP cards answer to serial {serial} (application ids {match.Aid.Hex} and {card.Aid.Hex}); remove the one that is not meant",
                    "ambiguous serial");
            }

            match = card;
        }

        return match;
    }

    public static IReadOnlyList<OpenPgpCardInfo> List(ISmartCardReaders readers)
    {
        var found = new List<OpenPgpCardInfo>();
        foreach (var reader in readers.ReadersWithCard())
        {
            var card = Identify(readers, reader);
            if (card is not null)
            {
                found.Add(new OpenPgpCardInfo(card.Aid.Serial, card.Aid.ManufacturerName, card.Aid.SpecVersion, card.Firmware, card.Aid.Hex));
                card.Connection.Dispose();
            }
        }

        return found;
    }

    private static FoundOpenPgpCard? Identify(ISmartCardReaders readers, string reader)
    {
        var connection = readers.Connect(reader);
        if (connection is null)
        {
            return null;
        }

        try
        {
            var session = new OpenPgpSession(connection, $"in reader \"{reader}\"");
            ApplicationData data;
            Version? firmware = null;
            using (connection.BeginTransaction())
            {
                session.Select();
                data = session.ReadApplicationData();
                if (data.Aid.Manufacturer == OpenPgpAid.Yubico)
                {
                    // Only Yubico's applet knows GET VERSION (F1); other cards are not sent instructions they do not have.
                    firmware = session.GetVersion();
                }
            }

            session.TokenName = OpenPgpToken.NameOf(data.Aid.Serial);
            session.Firmware = firmware;
            return new FoundOpenPgpCard(connection, session, data.Aid, firmware);
        }
        catch (TokenException)
        {
            // No OpenPGP application, or the card went away while we asked: not the one we look for.
            connection.Dispose();
            return null;
        }
    }
}
