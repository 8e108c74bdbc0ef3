using KeyCustody.Tokens.OpenPgp.Data;
using KeyCustody.Tokens.Piv;

namespace KeyCustody.Tokens.OpenPgp;

/// <summary>
/// An OpenPGP card (3.x; YubiKey 5.2.3+, Nitrokey 3, Gnuk) as an <see cref="ISigningToken"/>, chosen by the serial in
/// its AID. Its Ed25519 keys are the signature key ("sig": PSO:CDS, PW1 for one or several signatures as C4 says,
/// counted by the card) and the authentication key ("aut": INTERNAL AUTHENTICATE, PW1 valid until the card is
/// reset). PIN and touch are handled here and only here, by the same rules as PIV: the PIN is asked for only when
/// the card needs it (the empty VERIFY probe costs no attempt), never retried, not tried with one attempt or fewer
/// left unless the caller allows it; the presence hook is called before an operation that waits for a touch (UIF);
/// 6982 after it is a <see cref="TouchTimeoutException"/>. A message longer than the card takes is refused before
/// the card is asked. Card I/O runs on the calling thread (a touch holds it ~15 s).
/// </summary>
public sealed partial class OpenPgpToken : ISigningToken
{
    private readonly ISmartCardReaders _readers;
    private readonly bool _ownsReaders;
    private readonly OpenPgpTokenOptions _options;
    private readonly OpenPgpCardLink _link;
    private readonly TokenGate _gate = new();

    private OpenPgpToken(ISmartCardReaders readers, bool ownsReaders, OpenPgpCardLink link, OpenPgpTokenOptions options)
    {
        _readers = readers;
        _ownsReaders = ownsReaders;
        _link = link;
        _options = options;
        Serial = link.Serial;
        Firmware = link.Firmware;
        Aid = link.Aid!;
    }

    public uint Serial { get; }

    /// <summary>A YubiKey's firmware (GET VERSION); null for other cards.</summary>
    public Version? Firmware { get; }

    internal OpenPgpAid Aid { get; }

    public bool IsHardwareBacked => true;

    private string Name => NameOf(Serial);

    internal static string NameOf(uint serial) => $"OpenPGP card {serial}";

    /// <summary>
    /// Opens the card whose AID carries <paramref name="serial"/> (for a YubiKey: the serial printed on it). Throws
    /// <see cref="TokenNotFoundException"/> if none is present. With <paramref name="ownsReaders"/>, disposing the
    /// token disposes the readers.
    /// </summary>
    public static OpenPgpToken Open(ISmartCardReaders readers, uint serial, OpenPgpTokenOptions? options = null, bool ownsReaders = false)
    {
        ArgumentNullException.ThrowIfNull(readers);
        var link = new OpenPgpCardLink(readers, serial);
        try
        {
            // The first transaction also reads the card's capabilities, so limits are known before any signature.
            link.Run(session => link.LastData);
        }
        catch (TokenException e) when (e.Kind == TokenErrorKind.TokenNotFound)
        {
            throw TokenErrors.TokenNotFound($"OpenPGP card with serial {serial}", $"{readers.ReadersWithCard().Count} card(s) present, none with that serial in its OpenPGP application");
        }

        return new OpenPgpToken(readers, ownsReaders, link, options ?? new OpenPgpTokenOptions());
    }

    /// <summary>Null when <paramref name="keyId"/> names a card key that can hold an Ed25519 signing key, else what is wrong.</summary>
    public static string? KeyIdProblem(string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (OpenPgpKeySlot.Parse(keyId) is not null)
        {
            return null;
        }

        return keyId.ToUpperInvariant() is "DEC" or "OPENPGP.2"
            ? "the OpenPGP decryption key cannot sign (it is an ECDH key); use sig (the signature key) or aut (the authentication key)"
            : $"'{keyId}' is not an OpenPGP key that signs: sig (the signature key, PSO:CDS, a PIN per signature possible, counted by the card) or aut (the authentication key, INTERNAL AUTHENTICATE)";
    }

    /// <summary>The OpenPGP cards present: serial, vendor, versions.</summary>
    public static IReadOnlyList<OpenPgpCardInfo> ListCards(ISmartCardReaders readers) => OpenPgpCardFinder.List(readers);

    /// <summary>The longest message this card signs, and why (known once the card has been reached).</summary>
    public (int Bytes, string Reason)? MessageLimit => _link.Capabilities is { } c ? (c.MaxMessageLength, c.LimitReason) : null;

    public TokenStatus GetStatus(CancellationToken cancellation = default) => Locked(
        session =>
        {
            var pw = session.GetPwStatus();
            var counter = session.GetSignatureCounter();
            string vendor = Aid.Manufacturer == OpenPgpAid.Yubico ? "YubiKey" : Aid.ManufacturerName;
            string firmware = Firmware is null ? string.Empty : $", firmware {Firmware}";
            return new TokenStatus("openpgp", Serial.ToString(System.Globalization.CultureInfo.InvariantCulture), Firmware, pw.Pw1Retries, true,
                $"{vendor} OpenPGP {Aid.SpecVersion}, serial {Serial}{firmware}, application id {Aid.Hex}")
            {
                AdminPinRetriesLeft = pw.Pw3Retries,
                SignatureCounter = counter,
            };
        },
        cancellation);

    public IReadOnlyList<TokenKey> ListKeys(CancellationToken cancellation = default) => Fresh(
        session => OpenPgpKeySlot.All
            .Select(slot => _link.Slot(session, slot))
            .Where(info => info.Present && info.PublicKey is not null)
            .Select(info => ToKey(info, _link.LastData!))
            .ToList(),
        cancellation);

    public TokenKey GetKey(string keyId, CancellationToken cancellation = default)
    {
        var slot = ParseSlot(keyId);
        return Fresh(session => ToKey(RequireEd25519(session, slot), _link.LastData!), cancellation);
    }

    /// <summary>Closes the card connection once no operation holds it (<see cref="TokenGate.Close"/>: safe while others hold the token).</summary>
    public void Dispose() => _gate.Close(() =>
    {
        _link.Dispose();
        if (_ownsReaders)
        {
            _readers.Dispose();
        }
    });

    /// <summary>
    /// Waits (hot-plug notifications) until this card is back in a reader, e.g. after <see cref="TokenRemovedException"/>.
    /// False if the timeout passes first.
    /// </summary>
    public bool WaitUntilPresent(TimeSpan timeout, CancellationToken cancellation = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        _gate.Enter(Name, "wait for the card", cancellation);
        try
        {
            while (true)
            {
                if (_link.TryConnect() && _link.IsAlive())
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

    /// <summary>The slot, if it holds an Ed25519 key: otherwise <see cref="KeyNotFoundOnTokenException"/> saying what it holds.</summary>
    private SlotInfo RequireEd25519(OpenPgpSession session, OpenPgpKeySlot slot)
    {
        var info = _link.Slot(session, slot);
        if (!info.Present)
        {
            throw TokenErrors.KeyNotFound(Name, slot.Id);
        }

        return info.Attributes.IsEd25519 && info.PublicKey is not null
            ? info
            : throw TokenErrors.KeyNotEd25519(Name, slot.Describe, info.Attributes.Describe());
    }

    private static TokenKey ToKey(SlotInfo info, ApplicationData data) => new(
        info.Slot.Id,
        info.PublicKey!,
        PinPolicyOf(info.Slot, data.PwStatus),
        info.Touch?.ToPolicy() ?? TouchPolicy.Never,
        info.Status switch
        {
            KeyStatus.Generated => KeyOrigin.Generated,
            KeyStatus.Imported => KeyOrigin.Imported,
            _ => KeyOrigin.Unknown,
        });

    /// <summary>The signature key: PW1 for each signature (C4 byte 1 = 00) or once; the authentication key: once.</summary>
    private static PinPolicy PinPolicyOf(OpenPgpKeySlot slot, PwStatus pw) =>
        slot == OpenPgpKeySlot.Signature && pw.Pw1ForOneSignature ? PinPolicy.Always : PinPolicy.Once;

    private OpenPgpKeySlot ParseSlot(string keyId) => OpenPgpKeySlot.Parse(keyId) ?? throw TokenErrors.KeyNotFound(Name, keyId);

    /// <summary>
    /// <see cref="Locked"/>, reading the card's data again first: another program may have changed its keys since
    /// (signatures keep what they read, and forget it when the card contradicts it).
    /// </summary>
    private T Fresh<T>(Func<OpenPgpSession, T> action, CancellationToken cancellation) => Locked(
        session =>
        {
            _link.Refresh(session);
            return action(session);
        },
        cancellation);

    private T Locked<T>(Func<OpenPgpSession, T> action, CancellationToken cancellation)
    {
        _gate.Enter(Name, "operation", cancellation);
        try
        {
            return _link.Run(action);
        }
        finally
        {
            _gate.Release();
        }
    }
}
