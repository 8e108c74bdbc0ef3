namespace KeyCustody.Tokens.Piv;

/// <summary>
/// The transport seam: one command APDU in (at most 5 + 255 bytes, chaining is done above), the card's raw
/// response (data || SW1 SW2) out. PC/SC implements it over SCardTransmit; hw-sim's in-process card plugs in
/// here through a small adapter. Implementations throw <see cref="TokenRemovedException"/> when the card is gone.
/// </summary>
public interface IApduTransport
{
    byte[] Transmit(ReadOnlySpan<byte> command);
}

/// <summary>A connection to one card in one reader: the transport plus PC/SC-style exclusive transactions.</summary>
public interface ISmartCardConnection : IApduTransport, IDisposable
{
    /// <summary>
    /// Holds the card for a multi-APDU sequence (VERIFY + SIGN, authenticate + GENERATE) so no other program's
    /// APDUs interleave; dispose to release it. Implementations without other users may return a no-op.
    /// </summary>
    IDisposable BeginTransaction();

    /// <summary>
    /// How many times <see cref="BeginTransaction"/> found the card reset by another program (PC/SC's
    /// SCARD_W_RESET_CARD) and carried on after reconnecting: each time the card's session (selected applet, verified
    /// PIN) was lost. An implementation whose resets surface as <see cref="TokenRemovedException"/> keeps it at 0.
    /// </summary>
    long Resets => 0;
}

/// <summary>Where cards are found: readers with a card in them, and a way to wait for insertion/removal.</summary>
public interface ISmartCardReaders : IDisposable
{
    /// <summary>Names of readers that currently hold a card (a transient handle; never used to choose a card).</summary>
    IReadOnlyList<string> ReadersWithCard();

    /// <summary>Connects to the card in <paramref name="reader"/>; null if it is gone or in exclusive use.</summary>
    ISmartCardConnection? Connect(string reader);

    /// <summary>Blocks until a reader or card appears or disappears, the timeout passes (false) or cancellation.</summary>
    bool WaitForChange(TimeSpan timeout, CancellationToken cancellation);
}
