using System.Security.Cryptography;
using KeyCustody.Tokens.Piv.Commands;

namespace KeyCustody.Tokens.Piv;

/// <summary>
/// A YubiKey (firmware 5.7+) PIV application as an <see cref="ISigningToken"/>, chosen by serial. One operation
/// at a time; each multi-APDU sequence runs in one card transaction, released before anything waits on a person
/// (PIN prompt, presence hook). PIN and touch are handled here and only here:
/// the PIN is asked for only when the key's policy needs it (from GET METADATA and the VERIFY status probe),
/// never retried, and not tried with one retry or fewer left unless the caller allows it; the presence hook is
/// called before an operation that will wait for a touch; 6982 after it is a <see cref="TouchTimeoutException"/>.
/// If the card is removed, the operation fails with <see cref="TokenRemovedException"/> and the next one
/// finds the card again by serial. Card I/O runs on the calling thread (a touch can hold it for ~15 s): the
/// daemon's per-token worker is the intended caller.
/// </summary>
public sealed class PivToken : ISigningToken
{
    private readonly ISmartCardReaders _readers;
    private readonly bool _ownsReaders;
    private readonly PivTokenOptions _options;
    private readonly TokenGate _gate = new();
    private FoundCard? _card;

    private PivToken(ISmartCardReaders readers, bool ownsReaders, FoundCard card, PivTokenOptions options)
    {
        _readers = readers;
        _ownsReaders = ownsReaders;
        _card = card;
        _options = options;
        Serial = card.Serial;
        Firmware = card.Firmware;
    }

    public uint Serial { get; }

    public Version Firmware { get; }

    public bool IsHardwareBacked => true;

    private string Name => NameOf(Serial);

    internal static string NameOf(uint serial) => $"YubiKey {serial}";

    /// <summary>
    /// Opens the card with <paramref name="serial"/> among the cards in <paramref name="readers"/>. Throws
    /// <see cref="TokenNotFoundException"/> if it is not present and <see cref="FirmwareUnsupportedException"/>
    /// below firmware 5.7. With <paramref name="ownsReaders"/>, disposing the token disposes the readers.
    /// </summary>
    public static PivToken Open(ISmartCardReaders readers, uint serial, PivTokenOptions? options = null, bool ownsReaders = false)
    {
        var card = PivCardFinder.Find(readers, serial)
            ?? throw TokenErrors.TokenNotFound($"YubiKey with serial {serial}", $"{readers.ReadersWithCard().Count} card(s) present, none with that serial");
        if (card.Firmware < PivTokenOptions.MinimumFirmware)
        {
            card.Connection.Dispose();
            throw TokenErrors.FirmwareUnsupported(NameOf(serial), card.Firmware, PivTokenOptions.MinimumFirmware);
        }

        return new PivToken(readers, ownsReaders, card, options ?? new PivTokenOptions());
    }

    /// <summary>Serials and firmware of the PIV cards present.</summary>
    public static IReadOnlyList<(uint Serial, Version Firmware)> ListCards(ISmartCardReaders readers) => PivCardFinder.List(readers);

    /// <summary>
    /// Waits (hot-plug notifications, no polling loop of our own) until this card is back in a reader, e.g.
    /// after <see cref="TokenRemovedException"/>. False if the timeout passes first.
    /// </summary>
    public bool WaitUntilPresent(TimeSpan timeout, CancellationToken cancellation = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        _gate.Enter(Name, "wait for the card", cancellation);
        try
        {
            while (true)
            {
                if (TryConnect() && IsAlive())
                {
                    return true;
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return false;
                }

                _readers.WaitForChange(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellation);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public TokenStatus GetStatus(CancellationToken cancellation = default)
    {
        var pin = Locked(session => session.GetPinMetadata(), cancellation);
        return new TokenStatus("piv", Serial.ToString(), Firmware, pin.RetriesLeft, true, $"YubiKey PIV, serial {Serial}, firmware {Firmware}");
    }

    public IReadOnlyList<TokenKey> ListKeys(CancellationToken cancellation = default) => Locked(
        session => PivSlot.KeySlots
            .Select(slot => (Slot: slot, Metadata: session.GetKeyMetadata(slot)))
            .Where(entry => entry.Metadata?.Algorithm == PivAlgorithm.Ed25519)
            .Select(entry => ToKey(entry.Slot, entry.Metadata!))
            .ToList(),
        cancellation);

    public TokenKey GetKey(string keyId, CancellationToken cancellation = default)
    {
        var slot = ParseSlot(keyId);
        return ToKey(slot, Locked(session => RequireEd25519(session, slot), cancellation));
    }

    public Task<TokenKey> GenerateKeyAsync(KeyGenerationRequest request, TokenInteraction interaction, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ManagedKeyOperationAsync(request, interaction, "key generation", "generate",
            (session, slot) => session.Generate(slot, request.PinPolicy, request.TouchPolicy), cancellation);
    }

    public async Task<TokenKey> ImportKeyAsync(KeyGenerationRequest request, Secret seed, TokenInteraction interaction, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(seed);
        var expected = Ed25519Check.PublicKeyOf(seed.Span);
        var key = await ManagedKeyOperationAsync(request, interaction, "key import", "import",
            (session, slot) => session.Import(slot, seed.Span, request.PinPolicy, request.TouchPolicy), cancellation).ConfigureAwait(false);
        return CryptographicOperations.FixedTimeEquals(key.PublicKey, expected)
            ? key
            : throw TokenErrors.Device(Name, "the card reports another public key than the imported seed's", "import check failed");
    }

    /// <summary>
    /// Generation and import: refuse an occupied slot unless overwriting, authenticate with the management key
    /// (after a touch prompt when the management key needs one), run <paramref name="write"/>, read the key back.
    /// </summary>
    private async Task<TokenKey> ManagedKeyOperationAsync(
        KeyGenerationRequest request, TokenInteraction interaction, string operation, string presenceOperation, Action<PivSession, byte> write, CancellationToken cancellation)
    {
        var slot = ParseSlot(request.KeyId);
        using var managementKey = await Ask(interaction.ManagementKey, operation, cancellation).ConfigureAwait(false)
            ?? throw TokenErrors.ManagementKeyRequired(Name);
        await _gate.EnterAsync(Name, operation, cancellation).ConfigureAwait(false);
        try
        {
            var managementKeyInfo = WithCard(session =>
            {
                if (!request.Overwrite && session.GetKeyMetadata(slot) is not null)
                {
                    throw TokenErrors.KeyExists(Name, PivSlot.Name(slot));
                }

                return session.GetManagementKeyMetadata();
            });
            var algorithm = managementKeyInfo?.Algorithm ?? PivAlgorithm.TripleDes;
            if (managementKeyInfo?.TouchPolicy is TouchPolicy.Always or TouchPolicy.Cached)
            {
                await Presence(interaction, PivSlot.Name(slot), presenceOperation, managementKeyInfo.TouchPolicy, cancellation).ConfigureAwait(false);
            }

            var metadata = WithCard(session =>
            {
                session.AuthenticateManagementKey(algorithm, managementKey.Span);
                write(session, slot);
                return RequireEd25519(session, slot);
            }, mayReconnect: false);
            return ToKey(slot, metadata);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, CancellationToken cancellation = default) =>
        SignAsync(keyId, message, interaction, ReadOnlyMemory<byte>.Empty, cancellation);

    public async Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, ReadOnlyMemory<byte> expectedPublicKey, CancellationToken cancellation = default)
    {
        var slot = ParseSlot(keyId);
        if (message.Length > SignCommand.MaxMessageLength)
        {
            throw TokenErrors.NotSupported(Name, $"signing messages over {SignCommand.MaxMessageLength} bytes (the YubiKey's APDU buffer is about 3 KB)");
        }

        await _gate.EnterAsync(Name, "signature", cancellation).ConfigureAwait(false);
        try
        {
            try
            {
                return await SignOnceAsync(slot, message, interaction, expectedPublicKey, cancellation).ConfigureAwait(false);
            }
            catch (PinStateLostException)
            {
                // The card no longer had the PIN verified that this session relied on: start again, asking for it.
                try
                {
                    return await SignOnceAsync(slot, message, interaction, expectedPublicKey, cancellation).ConfigureAwait(false);
                }
                catch (PinStateLostException)
                {
                    throw TokenErrors.Device(Name, "the card refused the signature for want of a PIN it reports as verified", "SW 6982");
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// One signature. In steady state (the card session already told us the key's policies and that the PIN is
    /// verified, or not needed) and without a touch, it is one transaction holding only the signature's APDUs.
    /// Otherwise: a first transaction learns what is missing, the person is asked (PIN, touch prompt) outside any
    /// transaction, and a second one sends VERIFY (if needed) right before the signature, on the same card session.
    /// </summary>
    private async Task<byte[]> SignOnceAsync(byte slot, ReadOnlyMemory<byte> message, TokenInteraction interaction, ReadOnlyMemory<byte> expectedPublicKey, CancellationToken cancellation)
    {
        if (cancellation.IsCancellationRequested)
        {
            throw TokenErrors.Cancelled(Name, "signature");
        }

        // 1. What the key needs, from what this card session already told us; the signature at once if no one is asked.
        var plan = WithCard(session => Plan(session, slot, message.Span));
        if (plan.Signature is { } signed)
        {
            return Checked(slot, plan.Metadata, message, signed, expectedPublicKey);
        }

        // 2. Ask the person (outside any card transaction): PIN first, then tell them a touch is coming.
        using var pin = plan.PinNeeded ? await ObtainPin(interaction, PivSlot.Name(slot), plan.RetriesLeft, cancellation).ConfigureAwait(false) : null;
        bool touch = plan.Metadata.TouchPolicy is TouchPolicy.Always or TouchPolicy.Cached;
        if (touch)
        {
            await Presence(interaction, PivSlot.Name(slot), "sign", plan.Metadata.TouchPolicy, cancellation).ConfigureAwait(false);
        }

        if (cancellation.IsCancellationRequested)
        {
            throw TokenErrors.Cancelled(Name, "signature");
        }

        // 3. VERIFY (if needed) immediately followed by the signature, in one transaction, in the session step 1 saw.
        var signature = WithCard(session =>
        {
            if (!ReferenceEquals(session, plan.Session) || session.State.Generation != plan.Generation)
            {
                throw TokenErrors.TokenRemoved(Name, new IOException("the card was reset or replaced while the person was asked; what was learnt before belonged to the old session"));
            }

            if (pin is not null)
            {
                session.VerifyPin(pin.Span);
            }

            try
            {
                return session.Sign(slot, message.Span, touch);
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.TouchTimeout && pin is null && plan.Metadata.PinPolicy == PinPolicy.Once && !session.PinStatus().Verified)
            {
                // 6982 while relying on a PIN verified earlier in this session: the PIN, not the touch, was missing.
                throw new PinStateLostException();
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.KeyNotFound)
            {
                session.State.ForgetKey(slot);
                throw;
            }
        }, mayReconnect: false);
        return Checked(slot, plan.Metadata, message, signature, expectedPublicKey);
    }

    /// <summary>
    /// Step 1 of a signature, inside a transaction: the key's metadata and PIN state (from the session's knowledge,
    /// asking the card only for what it does not know), and the signature itself when neither a PIN nor a touch
    /// prompt is due. A PIN "once" key relied on as verified that the card refuses (another program unverified it) is
    /// asked about with the status probe, which costs no attempt.
    /// </summary>
    private SignPlan Plan(PivSession session, byte slot, ReadOnlySpan<byte> message)
    {
        var key = session.KnownKeyMetadata(slot);
        if (key?.Algorithm != PivAlgorithm.Ed25519)
        {
            throw TokenErrors.KeyNotFound(Name, PivSlot.Name(slot));
        }

        bool touch = key.TouchPolicy is TouchPolicy.Always or TouchPolicy.Cached;
        switch (key.PinPolicy)
        {
            case PinPolicy.Never:
                return touch ? SignPlan.Ask(session, key, pinNeeded: false, null) : SignPlan.Done(session, key, SignInPlan(session, slot, message));
            case PinPolicy.Always:
                // VERIFY must come right before the signature; the counter is the one this session last saw.
                return SignPlan.Ask(session, key, pinNeeded: true, session.State.PinRetriesLeft ?? session.GetPinMetadata().RetriesLeft);
            default:
                if (!session.State.PinVerified)
                {
                    var (verified, retries) = session.PinStatus();
                    if (!verified)
                    {
                        return SignPlan.Ask(session, key, pinNeeded: true, retries);
                    }
                }

                if (touch)
                {
                    return SignPlan.Ask(session, key, pinNeeded: false, null);
                }

                try
                {
                    return SignPlan.Done(session, key, SignInPlan(session, slot, message));
                }
                catch (TokenException e) when (e.Kind == TokenErrorKind.PinRequired)
                {
                    var (verified, retries) = session.PinStatus();
                    return verified
                        ? throw TokenErrors.Device(Name, "the card refused the signature for want of a PIN it reports as verified", "SW 6982")
                        : SignPlan.Ask(session, key, pinNeeded: true, retries);
                }
        }
    }

    private static byte[] SignInPlan(PivSession session, byte slot, ReadOnlySpan<byte> message)
    {
        try
        {
            return session.Sign(slot, message, touchExpected: false);
        }
        catch (TokenException e) when (e.Kind == TokenErrorKind.KeyNotFound)
        {
            session.State.ForgetKey(slot);
            throw;
        }
    }

    /// <summary>Verify-after-sign; a signature that does not verify makes the session read the slot again next time.</summary>
    private byte[] Checked(byte slot, KeyMetadata metadata, ReadOnlyMemory<byte> message, byte[] signature, ReadOnlyMemory<byte> expectedPublicKey)
    {
        try
        {
            return Ed25519Check.Require(Name, ToKey(slot, metadata), message.Span, signature, expectedPublicKey);
        }
        catch (TokenException e) when (e.Kind == TokenErrorKind.SignatureInvalid)
        {
            _card?.Session.State.ForgetKey(slot);
            throw;
        }
    }

    public KeyAttestation Attest(string keyId, CancellationToken cancellation = default)
    {
        var slot = ParseSlot(keyId);
        return Locked(
            session =>
            {
                RequireEd25519(session, slot);
                var certificate = session.Attest(slot);
                var intermediate = session.GetCertificate(PivSlot.Attestation)
                    ?? throw TokenErrors.Device(Name, "the card has no attestation (F9) certificate", "GET DATA 5FFF01: not found");
                return new KeyAttestation(certificate, [intermediate]);
            },
            cancellation);
    }

    /// <summary>Closes the card connection once no operation holds it (<see cref="TokenGate.Close"/>: safe while others hold the token).</summary>
    public void Dispose() => _gate.Close(() =>
    {
        DropCard();
        if (_ownsReaders)
        {
            _readers.Dispose();
        }
    });

    private KeyMetadata RequireEd25519(PivSession session, byte slot)
    {
        var metadata = session.GetKeyMetadata(slot);
        return metadata?.Algorithm == PivAlgorithm.Ed25519 ? metadata : throw TokenErrors.KeyNotFound(Name, PivSlot.Name(slot));
    }

    private static TokenKey ToKey(byte slot, KeyMetadata metadata) =>
        new(PivSlot.Name(slot), metadata.PublicKey, metadata.PinPolicy, metadata.TouchPolicy, metadata.Origin);

    private byte ParseSlot(string keyId) => PivSlot.Parse(keyId) ?? throw TokenErrors.KeyNotFound(Name, keyId);

    private Task<Secret> ObtainPin(TokenInteraction interaction, string keyId, int? retriesLeft, CancellationToken cancellation) =>
        PinGuard.ObtainAsync(
            interaction.Pin,
            new PinPrompt(Serial.ToString(System.Globalization.CultureInfo.InvariantCulture), keyId, retriesLeft),
            interaction.AllowLastPinRetry,
            PinCommands.FormatProblem,
            new PinErrors(
                () => TokenErrors.PinBlocked(Name),
                left => TokenErrors.PinAttemptRefused(Name, left),
                () => TokenErrors.PinRequired(Name, keyId),
                problem => TokenErrors.PinFormatInvalid(Name, problem),
                e => TokenErrors.Cancelled(Name, "signature", e)),
            cancellation);

    private async Task Presence(TokenInteraction interaction, string keyId, string operation, TouchPolicy policy, CancellationToken cancellation)
    {
        if (interaction.Presence is null)
        {
            return;
        }

        try
        {
            await interaction.Presence(new PresencePrompt(Serial.ToString(), keyId, operation, policy, _options.TouchTimeout) { Device = "YubiKey" }, cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(Name, operation, e);
        }
    }

    private async Task<Secret?> Ask(Func<CancellationToken, ValueTask<Secret?>>? callback, string operation, CancellationToken cancellation)
    {
        if (callback is null)
        {
            return null;
        }

        try
        {
            return await callback(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(Name, operation, e);
        }
    }

    private T Locked<T>(Func<PivSession, T> action, CancellationToken cancellation)
    {
        _gate.Enter(Name, "operation", cancellation);
        try
        {
            return WithCard(action);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// One card transaction: (re)connect by serial if needed, the action. PIV is selected only when the session does
    /// not know it to be (<see cref="PivSession"/>); after PC/SC reports a reset the session starts over. Caller holds
    /// the gate. A connection found dead before anything of this operation reached the card (the card was pulled and
    /// put back since the last operation) is replaced once by finding the card again. The second step of a signature
    /// or generation may not reconnect: what step one learnt (PIN verified, slot empty) was about the old session.
    /// </summary>
    private T WithCard<T>(Func<PivSession, T> action, bool mayReconnect = true)
    {
        bool reconnected = false;
        while (true)
        {
            bool fresh = _card is null;
            if (!TryConnect())
            {
                throw TokenErrors.TokenNotFound($"YubiKey with serial {Serial}", "it is not in any reader");
            }

            var card = _card!;
            IDisposable transaction;
            try
            {
                transaction = card.Connection.BeginTransaction();
                try
                {
                    card.Session.StartTransaction(card.Connection.Resets, Serial);
                }
                catch
                {
                    transaction.Dispose();
                    throw;
                }
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.TokenRemoved && mayReconnect && !fresh && !reconnected)
            {
                DropCard();
                reconnected = true;
                continue;
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.TokenRemoved)
            {
                DropCard();
                throw;
            }

            try
            {
                return action(card.Session);
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.TokenRemoved && mayReconnect && !fresh && !reconnected && card.Session.ExchangesInTransaction == 0)
            {
                // The first command found the connection dead: nothing of this operation reached the card. Again.
                DropCard();
                reconnected = true;
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.TokenRemoved)
            {
                DropCard();
                throw;
            }
            finally
            {
                transaction.Dispose();
            }
        }
    }

    /// <summary>Whether the connection we hold still reaches the card (dropped if not).</summary>
    private bool IsAlive()
    {
        try
        {
            using (_card!.Connection.BeginTransaction())
            {
                _card.Session.StartTransaction(_card.Connection.Resets, Serial);
                _card.Session.Select();
            }

            return true;
        }
        catch (TokenException e) when (e.Kind == TokenErrorKind.TokenRemoved)
        {
            DropCard();
            return false;
        }
    }

    private bool TryConnect()
    {
        if (_card is not null)
        {
            return true;
        }

        _card = PivCardFinder.Find(_readers, Serial);
        return _card is not null;
    }

    private void DropCard()
    {
        _card?.Connection.Dispose();
        _card = null;
    }

    /// <summary>What step 1 of a signature found: the signature already, or what to ask before step 3.</summary>
    private sealed record SignPlan(PivSession Session, int Generation, KeyMetadata Metadata, byte[]? Signature, bool PinNeeded, int? RetriesLeft)
    {
        public static SignPlan Done(PivSession session, KeyMetadata metadata, byte[] signature) =>
            new(session, session.State.Generation, metadata, signature, false, null);

        public static SignPlan Ask(PivSession session, KeyMetadata metadata, bool pinNeeded, int? retriesLeft) =>
            new(session, session.State.Generation, metadata, null, pinNeeded, retriesLeft);
    }

    /// <summary>The PIN this card session relied on as verified was not: the signature starts again and asks for it.</summary>
    private sealed class PinStateLostException : Exception
    {
    }
}
