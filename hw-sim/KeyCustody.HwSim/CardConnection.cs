namespace KeyCustody.HwSim;

/// <summary>
/// One PC/SC-like connection to a <see cref="VirtualCard"/>: the APDU-in, response-out seam the PIV client plugs
/// into. It stops working when the card is removed (<see cref="CardRemovedException"/>) or reset
/// (<see cref="CardResetException"/>); connect again afterwards.
/// </summary>
public sealed class CardConnection
{
    private readonly VirtualCard _card;
    private readonly long _epoch;
    private readonly long _removals;

    internal CardConnection(VirtualCard card, long epoch, long removals)
    {
        _card = card;
        _epoch = epoch;
        _removals = removals;
    }

    public VirtualCard Card => _card;

    public static ReadOnlySpan<byte> Atr => VirtualCard.YubiKey5Atr;

    /// <summary>Sends one command APDU and returns response data followed by SW1 SW2.</summary>
    public byte[] Transmit(ReadOnlySpan<byte> command) => _card.Transmit(command, _epoch, _removals);
}
