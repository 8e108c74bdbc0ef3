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
        await Enter("signature", cancellation).ConfigureAwait(false);
        try
        {
            // The card's limit is known from when it was opened: a message over it never reaches the card.
            if (_link.Capabilities is { } caps && message.Length > caps.MaxMessageLength)
            {
                throw TokenErrors.MessageTooLong(Name, message.Length, caps.MaxMessageLength, caps.LimitReason);
            }

            var password = slot == OpenPgpKeySlot.Signature ? Password.Pw1Sign : Password.Pw1Other;

            // 1. The key, whether the card wants the PIN (the probe costs no attempt) and its attempts; sign at once when
            //    nobody needs to be asked.
            var (info, policy, retries, signature) = _link.Run(session =>
            {
                var info = RequireEd25519(session, slot);
                var policy = PinPolicyOf(slot, _link.LastData!.PwStatus);
                bool touch = info.Touch?.NeedsTouch() == true;
                if (policy == PinPolicy.Once && session.IsVerified(password))
                {
                    return touch ? (info, policy, (int?)null, null) : (info, policy, null, session.Sign(slot, message.Span, touchExpected: false));
                }

                return (info, policy, (int?)session.GetPwStatus().Pw1Retries, (byte[]?)null);
            });
            var key = ToKey(info, _link.LastData!);
            if (signature is not null)
            {
                return Verified(key, message, signature, expectedPublicKey);
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
                    }

                    return session.Sign(slot, message.Span, touchExpected);
                },
                mayReconnect: false);
            return Verified(key, message, signature, expectedPublicKey);
        }
        catch (TokenException e) when (e is not (TokenOperationCancelledException or PinRequiredException or PinAttemptRefusedException or PinFormatInvalidException))
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
            await interaction.Presence(new PresencePrompt(Serial.ToString(System.Globalization.CultureInfo.InvariantCulture), keyId, operation, policy, _options.TouchTimeout), cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(Name, operation, e);
        }
    }
}
