using KeyCustody.Tokens.OpenPgp.Data;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp;

/// <summary>What we know of a key slot on the connected card (forgotten with the connection, or when the card contradicts it).</summary>
internal sealed record SlotInfo(OpenPgpKeySlot Slot, AlgorithmAttributes Attributes, bool Present, KeyStatus Status, Uif? Touch, byte[]? PublicKey);

/// <summary>
/// The connection to one card, found again by serial when lost. Runs each sequence in one card transaction that
/// starts with SELECT. What was read from the card (capabilities, slots) belongs to one connection: a card pulled
/// and put back, or another card with the same serial, starts with nothing known. Not thread-safe: the token's gate
/// serialises its use.
/// </summary>
internal sealed class OpenPgpCardLink(ISmartCardReaders readers, uint serial) : IDisposable
{
    private readonly Dictionary<string, SlotInfo> _slots = [];
    private FoundOpenPgpCard? _card;

    public uint Serial => serial;

    /// <summary>Of the card last connected (kept after a removal, so a limit can still be checked before reconnecting).</summary>
    public CardCapabilities? Capabilities { get; private set; }

    public ApplicationData? LastData { get; private set; }

    public OpenPgpAid? Aid => _card?.Aid;

    public Version? Firmware { get; private set; }

    /// <summary>Whether PINs would have to pass the card's KDF (we refuse then, before any PIN is sent).</summary>
    public bool KdfInUse { get; private set; }

    public bool TryConnect()
    {
        if (_card is not null)
        {
            return true;
        }

        _card = OpenPgpCardFinder.Find(readers, serial);
        if (_card is null)
        {
            return false;
        }

        Firmware = _card.Firmware;
        _slots.Clear();
        return true;
    }

    /// <summary>
    /// One card transaction: (re)connect by serial if needed, SELECT, the action. A connection found dead before
    /// anything of this operation reached the card is replaced once; with <paramref name="mayReconnect"/> false (the
    /// second step of an operation, after a prompt) it is not: what step one learnt belonged to the old session.
    /// </summary>
    public T Run<T>(Func<OpenPgpSession, T> action, bool mayReconnect = true)
    {
        bool reconnected = false;
        while (true)
        {
            bool fresh = _card is null;
            if (!TryConnect())
            {
                throw TokenErrors.TokenNotFound($"OpenPGP card with serial {serial}", "it is not in any reader");
            }

            var card = _card!;
            IDisposable transaction;
            try
            {
                transaction = card.Connection.BeginTransaction();
                try
                {
                    card.Session.Select();
                    if (fresh || LastData is null)
                    {
                        Refresh(card.Session);
                    }
                }
                catch
                {
                    transaction.Dispose();
                    throw;
                }
            }
            catch (TokenRemovedException) when (mayReconnect && !fresh && !reconnected)
            {
                Drop();
                reconnected = true;
                continue;
            }
            catch (TokenRemovedException)
            {
                Drop();
                throw;
            }

            try
            {
                return action(card.Session);
            }
            catch (TokenRemovedException)
            {
                Drop();
                throw;
            }
            finally
            {
                transaction.Dispose();
            }
        }
    }

    /// <summary>Reads 6E again (after a write, or on a new connection) and forgets what was known of the slots.</summary>
    public ApplicationData Refresh(OpenPgpSession session)
    {
        var data = session.ReadApplicationData();
        LastData = data;
        Capabilities = CardCapabilities.From(data);
        KdfInUse = data.ExtendedCapabilities.Length > 0 && (data.ExtendedCapabilities[0] & 0x01) != 0 && session.KdfInUse();
        _slots.Clear();
        return data;
    }

    /// <summary>The slot as last read on this connection, reading it (and its public key) when unknown.</summary>
    public SlotInfo Slot(OpenPgpSession session, OpenPgpKeySlot slot)
    {
        if (_slots.TryGetValue(slot.Id, out var known))
        {
            return known;
        }

        var data = LastData ?? Refresh(session);
        var attributes = data.Attributes(slot);
        bool present = data.HasKey(slot);
        var publicKey = present && attributes.IsEd25519 ? session.ReadPublicKey(slot) : null;
        var info = new SlotInfo(slot, attributes, present, data.Status(slot), data.Touch(slot), publicKey);
        _slots[slot.Id] = info;
        return info;
    }

    /// <summary>Forgets what is known of the slots (after an error the card's state may differ from what we read).</summary>
    public void Forget()
    {
        _slots.Clear();
        LastData = null;
    }

    /// <summary>Whether the connection we hold still reaches the card (dropped if not).</summary>
    public bool IsAlive()
    {
        try
        {
            using (_card!.Connection.BeginTransaction())
            {
                _card.Session.Select();
            }

            return true;
        }
        catch (TokenRemovedException)
        {
            Drop();
            return false;
        }
    }

    public void Drop()
    {
        _card?.Connection.Dispose();
        _card = null;
        _slots.Clear();
        LastData = null;
    }

    public void Dispose() => Drop();
}
