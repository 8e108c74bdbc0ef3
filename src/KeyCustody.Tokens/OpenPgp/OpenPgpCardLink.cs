using KeyCustody.Tokens.OpenPgp.Commands;
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
    private readonly HashSet<Password> _verified = [];
    private FoundOpenPgpCard? _card;
    private long _resetsSeen;
    private bool _probeUnknown;

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
        _resetsSeen = _card.Connection.Resets;
        _slots.Clear();
        _verified.Clear();
        _probeUnknown = false;
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
                    if (card.Connection.Resets != _resetsSeen)
                    {
                        // Another program reset the card: the passwords are no longer verified, and it is read again.
                        _resetsSeen = card.Connection.Resets;
                        Forget();
                    }

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
            catch (TokenException e) when (e.Kind == TokenErrorKind.TokenRemoved && mayReconnect && !fresh && !reconnected)
            {
                Drop();
                reconnected = true;
                continue;
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.TokenRemoved)
            {
                Drop();
                throw;
            }

            try
            {
                return action(card.Session);
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.TokenRemoved)
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
        if (data.Aid.Serial != serial)
        {
            throw TokenErrors.TokenRemoved(OpenPgpToken.NameOf(serial), new IOException($"card {data.Aid.Serial} answers in its reader now"));
        }

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

    /// <summary>
    /// Whether <paramref name="password"/> is verified in the card's session: as remembered from our own VERIFY on this
    /// connection (since no reset), else as the card's empty VERIFY says, where it knows that probe. Not known is "no".
    /// </summary>
    public bool IsVerified(OpenPgpSession session, Password password)
    {
        if (_verified.Contains(password))
        {
            return true;
        }

        if (_probeUnknown)
        {
            return false;
        }

        var probed = session.ProbeVerified(password);
        _probeUnknown = probed is null;
        if (probed == true)
        {
            _verified.Add(password);
        }

        return probed == true;
    }

    /// <summary>Whether <see cref="IsVerified"/> answers from memory rather than from the card.</summary>
    public bool RemembersVerified(Password password) => _verified.Contains(password);

    public void Verified(Password password, bool verified)
    {
        if (verified)
        {
            _verified.Add(password);
        }
        else
        {
            _verified.Remove(password);
        }
    }

    /// <summary>
    /// Forgets what is known of the slots and of the passwords (after an error or a reset the card's state may differ
    /// from what we read; the worst that costs is a probe or a PIN sent again).
    /// </summary>
    public void Forget()
    {
        _slots.Clear();
        _verified.Clear();
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
        catch (TokenException e) when (e.Kind == TokenErrorKind.TokenRemoved)
        {
            Drop();
            return false;
        }
    }

    public void Drop()
    {
        _card?.Connection.Dispose();
        _card = null;
        Forget();
    }

    public void Dispose() => Drop();
}
