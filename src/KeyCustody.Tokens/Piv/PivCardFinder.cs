namespace KeyCustody.Tokens.Piv;

/// <summary>A PIV card found in a reader, connected, PIV selected.</summary>
internal sealed record FoundCard(ISmartCardConnection Connection, PivSession Session, uint Serial, Version Firmware);

/// <summary>
/// Finds cards by serial: connects to each reader that holds a card, selects PIV and asks for the serial. Reader
/// names and positions are never used to choose a card, only to reach it.
/// </summary>
internal static class PivCardFinder
{
    /// <summary>
    /// The card with <paramref name="serial"/>, or null if none of the present cards has it. Every card is asked, and two
    /// with the serial are refused, naming their readers: the PIN would go to whichever reader came first, and a card
    /// (or a smart card emulator) can claim any serial.
    /// </summary>
    public static FoundCard? Find(ISmartCardReaders readers, uint serial)
    {
        var found = new List<(string Reader, FoundCard Card)>();
        foreach (var reader in readers.ReadersWithCard())
        {
            var card = Identify(readers, reader);
            if (card is null)
            {
                continue;
            }

            if (card.Serial == serial)
            {
                found.Add((reader, card));
            }
            else
            {
                card.Connection.Dispose();
            }
        }

        if (found.Count > 1)
        {
            foreach (var (_, card) in found)
            {
                card.Connection.Dispose();
            }

            throw TokenErrors.TokenAmbiguous(
                $"YubiKey with serial {serial}",
                string.Join(", ", found.Select(match => $"in reader \"{match.Reader}\"")),
                "Two cards claiming one serial means one is not what it claims: remove the one that should not be there");
        }

        return found.Count == 1 ? found[0].Card : null;
    }

    /// <summary>Serial and firmware of every PIV card present (for discovery; cards are not kept connected).</summary>
    public static IReadOnlyList<(uint Serial, Version Firmware)> List(ISmartCardReaders readers)
    {
        var found = new List<(uint, Version)>();
        foreach (var reader in readers.ReadersWithCard())
        {
            var card = Identify(readers, reader);
            if (card is not null)
            {
                found.Add((card.Serial, card.Firmware));
                card.Connection.Dispose();
            }
        }

        return found;
    }

    private static FoundCard? Identify(ISmartCardReaders readers, string reader)
    {
        var connection = readers.Connect(reader);
        if (connection is null)
        {
            return null;
        }

        try
        {
            var session = new PivSession(connection, $"in reader \"{reader}\"");
            uint serial;
            Version firmware;
            using (connection.BeginTransaction())
            {
                session.Select();
                firmware = session.GetVersion();
                serial = session.GetSerial();
            }

            session.TokenName = PivToken.NameOf(serial);
            return new FoundCard(connection, session, serial, firmware);
        }
        catch (TokenException)
        {
            // Not a PIV card, a card without GET SERIAL, or it went away while we asked: not the one we look for.
            connection.Dispose();
            return null;
        }
    }
}
