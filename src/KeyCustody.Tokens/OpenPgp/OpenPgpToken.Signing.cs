using KeyCustody.Tokens.OpenPgp.Commands;
using KeyCustody.Tokens.OpenPgp.Data;

namespace KeyCustody.Tokens.OpenPgp;

/// <summary>Signatures, and the PIN and presence rules around them.</summary>
public sealed partial class OpenPgpToken
{
    public Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, CancellationToken cancellation = default) =>
        SignAsync(keyId, message, interaction, ReadOnlyMemory<byte>.Empty, cancellation);

    public async Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, ReadOnlyMemory<byte> expectedPublicKey, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(interaction);
        var slot = ParseSlot(keyId);
        await _gate.EnterAsync(Name, "signature", cancellation).ConfigureAwait(false);
        try
        {
            // The card's limit is known from when it was opened: a message over it never reaches the card.
            if (_link.Capabilities is { } caps && message.Length > caps.MaxMessageLength)
            {
                throw TokenErrors.MessageTooLong(Name, message.Length, caps.MaxMessageLength, caps.LimitReason);
            }

            var password = slot == OpenPgpKeySlot.Signature ? Password.Pw1Sign : Password.Pw1Other;
            bool retried = false;
            while (true)
            {
                // 1. The key, whether the card wants the PIN (remembered from our VERIFY on this connection, or the
                //    card's probe, which costs no attempt) and its attempts; sign at once when nobody needs to be asked.
                bool fromMemory = false;
                var (info, retries, signature) = _link.Run(session =>
                {
                    var info = RequireEd25519(session, slot);
                    bool touch = info.Touch?.NeedsTouch() == true;
                    if (PinPolicyOf(slot, _link.LastData!.PwStatus) == PinPolicy.Once && _link.IsVerified(session, password))
                    {
                        fromMemory = _link.RemembersVerified(password);
                        return touch ? (info, (int?)null, null) : (info, null, SignWithoutPin(session, slot, password, message.Span, touchExpected: false, mayRetry: !retried));
                    }

                    return (info, (int?)session.GetPwStatus().Pw1Retries, (byte[]?)null);
                });
                var key = ToKey(info, _link.LastData!);
                if (signature is not null)
                {
                    return Verified(key, message, signature, expectedPublicKey);
                }

                if (retries is null && fromMemory && !_link.RemembersVerified(password))
                {
                    // The card had forgotten the PIN our memory said it had (another program reset its state): ask, once.
                    retried = true;
                    continue;
                }

                // 2. Ask the person (outside any card transaction): PIN first, then tell them a touch is coming.
                using var pin = retries is null ? null : await ObtainUserPin(interaction, slot.Id, retries, cancellation).ConfigureAwait(false);
                bool touchExpected = info.Touch?.NeedsTouch() == true;
                if (touchExpected)
                {
                    await Presence(interaction, slot.Id, "sign", key.TouchPolicy, cancellation).ConfigureAwait(false);
                }

                if (cancellation.IsCancellationRequested)
                {
                    throw TokenErrors.Cancelled(Name, "signature");
                }

                // 3. VERIFY (if needed) immediately followed by the signature, in one transaction on the same connection.
                signature = _link.Run(
                    session =>
                    {
                        if (pin is not null)
                        {
                            VerifyUser(session, password, pin);
                            _link.Verified(password, true);
                        }

                        return SignWithoutPin(session, slot, password, message.Span, touchExpected, mayRetry: pin is null && !retried);
                    },
                    mayReconnect: false);
                if (signature is null)
                {
                    retried = true;
                    continue;
                }

                return Verified(key, message, signature, expectedPublicKey);
            }
        }
        catch (TokenException e) when (!e.NeverReachedTheDevice)
        {
            // The card may have changed under us (another program, a new key): read it again next time.
            _link.Forget();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The signature; null when the card refused it for want of a PIN we believed verified (6982, no touch awaited):
    /// the memory is dropped and the caller asks for the PIN. A PIN valid for one signature is spent by it.
    /// </summary>
    private byte[]? SignWithoutPin(OpenPgpSession session, OpenPgpKeySlot slot, Password password, ReadOnlySpan<byte> message, bool touchExpected, bool mayRetry)
    {
        bool remembered = mayRetry && _link.RemembersVerified(password);
        try
        {
            var signature = session.Sign(slot, message, touchExpected);
            if (password == Password.Pw1Sign && _link.LastData?.PwStatus.Pw1ForOneSignature != false)
            {
                _link.Verified(password, false);
            }

            return signature;
        }
        catch (TokenException e) when (e.Kind == TokenErrorKind.DeviceError && e.DeviceCode == "SW 6982" && remembered)
        {
            _link.Verified(password, false);
            return null;
        }
        catch (TokenException e) when (e.Kind == TokenErrorKind.TouchTimeout)
        {
            // 6982 after a touch was awaited: a timeout, or a PIN the card no longer holds verified. Ask next time.
            _link.Verified(password, false);
            throw;
        }
    }

    private byte[] Verified(TokenKey key, ReadOnlyMemory<byte> message, byte[] signature, ReadOnlyMemory<byte> expectedPublicKey) =>
        Ed25519Check.Require(Name, key, message.Span, signature, expectedPublicKey);

    private Task<Secret> ObtainUserPin(TokenInteraction interaction, string keyId, int? retries, CancellationToken cancellation)
    {
        RefuseKdf();
        int max = _link.LastData?.PwStatus.Pw1MaxLength ?? 0;
        return PinGuard.ObtainAsync(
            interaction.Pin,
            new PinPrompt(Serial.ToString(System.Globalization.CultureInfo.InvariantCulture), keyId, retries),
            interaction.AllowLastPinRetry,
            pin => VerifyCommands.FormatProblem(Password.Pw1Sign, pin, max),
            new PinErrors(
                () => TokenErrors.OpenPgpPinBlocked(Name),
                left => TokenErrors.PinAttemptRefused(Name, left),
                () => TokenErrors.PinRequired(Name, keyId),
                problem => TokenErrors.PinFormatInvalid(Name, problem),
                e => TokenErrors.Cancelled(Name, "signature", e)),
            cancellation);
    }

    private Task<Secret> ObtainAdminPin(TokenInteraction interaction, string keyId, int retries, string operation, CancellationToken cancellation)
    {
        RefuseKdf();
        int max = _link.LastData?.PwStatus.Pw3MaxLength ?? 0;
        return PinGuard.ObtainAsync(
            interaction.AdminPin,
            new PinPrompt(Serial.ToString(System.Globalization.CultureInfo.InvariantCulture), keyId, retries),
            interaction.AllowLastPinRetry,
            pin => VerifyCommands.FormatProblem(Password.Pw3, pin, max),
            new PinErrors(
                () => TokenErrors.AdminPinBlocked(Name),
                left => TokenErrors.AdminPinAttemptRefused(Name, left),
                () => TokenErrors.AdminPinRequired(Name, operation),
                problem => TokenErrors.PinFormatInvalid(Name, problem),
                e => TokenErrors.Cancelled(Name, operation, e)),
            cancellation);
    }

    /// <summary>A card whose PINs pass through its KDF-DO would count our plain PIN as a wrong one: never send it.</summary>
    private void RefuseKdf()
    {
        if (_link.KdfInUse)
        {
            throw TokenErrors.NotSupported(Name,
                "PINs derived through the card's KDF-DO (turned on with `ykman openpgp access set-kdf` or gpg's kdf-setup); no PIN was sent. Use a card with the KDF off");
        }
    }

    /// <summary>VERIFY PW1; a refusal becomes the error with the attempts the card has left.</summary>
    private void VerifyUser(OpenPgpSession session, Password password, Secret pin)
    {
        var outcome = session.Verify(password, pin.Span);
        if (outcome.Accepted)
        {
            return;
        }

        int retries = outcome.RetriesLeft ?? session.GetPwStatus().Pw1Retries;
        throw outcome.Blocked || retries == 0 ? TokenErrors.OpenPgpPinBlocked(Name) : TokenErrors.PinIncorrect(Name, retries);
    }

    /// <summary>VERIFY PW3; a refusal becomes the error with the attempts the card has left.</summary>
    private void VerifyAdmin(OpenPgpSession session, Secret adminPin)
    {
        var outcome = session.Verify(Password.Pw3, adminPin.Span);
        if (outcome.Accepted)
        {
            return;
        }

        int retries = outcome.RetriesLeft ?? session.GetPwStatus().Pw3Retries;
        throw outcome.Blocked || retries == 0 ? TokenErrors.AdminPinBlocked(Name) : TokenErrors.AdminPinIncorrect(Name, retries);
    }

    private async Task Presence(TokenInteraction interaction, string keyId, string operation, TouchPolicy policy, CancellationToken cancellation)
    {
        if (interaction.Presence is null)
        {
            return;
        }

        try
        {
            await interaction.Presence(new PresencePrompt(Serial.ToString(System.Globalization.CultureInfo.InvariantCulture), keyId, operation, policy, _options.TouchTimeout) { Device = Aid.DeviceName }, cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(Name, operation, e);
        }
    }
}
