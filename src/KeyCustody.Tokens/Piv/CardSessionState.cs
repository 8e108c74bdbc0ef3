using KeyCustody.Tokens.Piv.Commands;

namespace KeyCustody.Tokens.Piv;

/// <summary>
/// What is known about the card session behind one connection (from the card's own answers, since the connection was
/// made or the card was last reset), so a signature in steady state costs only its own APDUs, as with Yubico's
/// ykpiv: the PIV applet is selected, each key slot's metadata, whether the PIN is verified and how many attempts it
/// has. Forgotten (<see cref="Forget"/>) when PC/SC reports that the card was reset; the selection also when an answer
/// shows another applet was selected; a key's entry when the card contradicts it. Never carried over to another
/// connection: a card taken out and put back, or another card with the same serial, starts with nothing known.
/// The card still enforces every policy; a stale entry can only cost a retry or an error, never a signature the
/// card would refuse.
/// </summary>
internal sealed class CardSessionState
{
    private readonly Dictionary<byte, KeyMetadata> _keys = [];

    /// <summary>We selected PIV in this session and no answer since says another applet took over.</summary>
    public bool PivSelected { get; set; }

    /// <summary>The PIN was verified in this session (what PIN policy "once" relies on).</summary>
    public bool PinVerified { get; set; }

    public int? PinRetriesLeft { get; set; }

    public int? PinRetriesTotal { get; set; }

    /// <summary>Changes whenever everything is forgotten: what was planned on an older generation is stale.</summary>
    public int Generation { get; private set; }

    public KeyMetadata? Key(byte slot) => _keys.GetValueOrDefault(slot);

    /// <summary>Keeps a slot's metadata; null (an empty slot) is not kept, so the next use asks the card again.</summary>
    public void Remember(byte slot, KeyMetadata? metadata)
    {
        if (metadata is null)
        {
            _keys.Remove(slot);
        }
        else
        {
            _keys[slot] = metadata;
        }
    }

    public void ForgetKey(byte slot) => _keys.Remove(slot);

    /// <summary>After a VERIFY the card accepted: verified, and the counter back at its total.</summary>
    public void PinAccepted()
    {
        PinVerified = true;
        PinRetriesLeft = PinRetriesTotal;
    }

    public void Forget()
    {
        _keys.Clear();
        PivSelected = false;
        PinVerified = false;
        PinRetriesLeft = null;
        PinRetriesTotal = null;
        Generation++;
    }
}
