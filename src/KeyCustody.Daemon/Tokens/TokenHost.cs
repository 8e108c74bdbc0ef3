using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Scheduling;
using KeyCustody.HwSim;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Touch;
using KeyCustody.Tokens;
using KeyCustody.Tokens.OpenPgp;
using KeyCustody.Tokens.Pcsc;
using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Pkcs11;
using KeyCustody.Tokens.Simulator;
using KeyCustody.Tokens.Software;

namespace KeyCustody.Daemon.Tokens;

/// <summary>
/// One configured token: how it is opened, its queue, its touch cache, how the daemon answers its questions (PIN and
/// management key from their configured sources), and the one way to use it (<see cref="UseAsync"/>).
/// </summary>
public sealed class TokenHost : IDisposable
{
    private static readonly Func<int, Task> NoPosition = _ => Task.CompletedTask;

    private readonly LiveToken _live;
    private readonly IDisposable? _owned;

    private TokenHost(TokenSettings settings, Func<ISigningToken> open, int concurrency, int maxQueue, IDisposable? owned, VirtualCard? simulated, TimeProvider? time = null)
    {
        Settings = settings;
        Touches = new Presence.TouchCache(time ?? TimeProvider.System, settings.TouchCacheSeconds is { } cache ? TimeSpan.FromSeconds(cache) : null);
        _live = new LiveToken(open);
        _live.Lost += Touches.CardLost;
        _owned = owned;
        SimulatedCard = simulated;
        Queue = new TokenQueue(settings.Name, concurrency, maxQueue);
    }

    public TokenSettings Settings { get; }

    public string Name => Settings.Name;

    public TokenQueue Queue { get; }

    /// <summary>Whose touch the card may be caching (touch policy cached), as the daemon's own operations tell.</summary>
    public Presence.TouchCache Touches { get; }

    /// <summary>The in-process card of a simulator token (tests use it to touch, unplug, replug).</summary>
    public VirtualCard? SimulatedCard { get; }

    /// <summary>
    /// What the open token says (SoftHSM2 is PKCS#11 but not hardware); the kind's answer until it is open. A
    /// simulator token is never hardware-backed, whatever its simulated card claims: clients must see that.
    /// </summary>
    public bool IsHardwareBacked
    {
        get
        {
            if (Settings.Kind == TokenKind.Simulator)
            {
                return false;
            }

            return _live.Current?.IsHardwareBacked ?? Settings.Kind is TokenKind.Piv or TokenKind.OpenPgp;
        }
    }

    public string Kind => Settings.Kind switch
    {
        TokenKind.Piv => "piv",
        TokenKind.OpenPgp => "openpgp",
        TokenKind.Pkcs11 => "pkcs11",
        TokenKind.Software => "software",
        _ => "simulator",
    };

    /// <summary>The serial as configured (PIV, OpenPGP, simulator) or as last reported.</summary>
    public string Serial { get; private set; } = string.Empty;

    /// <summary>A token's settings as a host; <paramref name="time"/> is the clock of its touch cache (the system's unless a test moves it).</summary>
    public static TokenHost Create(TokenSettings s, LimitsConfig limits, SimulatorRoot? simulatorRoot, TimeProvider? time = null)
    {
        switch (s.Kind)
        {
            case TokenKind.Software:
                return new TokenHost(s, () => SoftwareToken.Open(s.Directory!), Environment.ProcessorCount, limits.MaxQueuePerToken, null, null, time) { Serial = "software:" + s.Directory };
            case TokenKind.Piv:
                return new TokenHost(s, () => PivToken.Open(PcscReaders.Open(), s.Serial!.Value, ownsReaders: true), 1, limits.MaxQueuePerToken, null, null, time)
                {
                    Serial = s.Serial!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
            case TokenKind.OpenPgp:
                return new TokenHost(s, () => OpenPgpToken.Open(PcscReaders.Open(), s.Serial!.Value, ownsReaders: true), 1, limits.MaxQueuePerToken, null, null)
                {
                    Serial = s.Serial!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
            case TokenKind.Pkcs11:
                {
                    var login = new LoginAtOpen(s);
                    return new TokenHost(
                        s,
                        () => login.Open(Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = s.Module!, TokenLabel = s.TokenLabel, TokenSerial = s.TokenSerial, PoolSize = s.Sessions })),
                        s.Sessions,
                        limits.MaxQueuePerToken,
                        null,
                        null,
                        time)
                    {
                        Serial = s.TokenSerial ?? s.TokenLabel!,
                    };
                }
            case TokenKind.Simulator:
                {
                    var card = VirtualCard.Create(new CardOptions(simulatorRoot ?? throw new InvalidOperationException("a simulator token needs the simulator root"))
                    {
                        Serial = s.Serial,
                        StatePath = s.StateFile,
                        Touch = s.Touch switch { "manual" => TouchMode.Manual, "never" => TouchMode.Never, _ => TouchMode.Auto },
                        AutoTouchDelay = TimeSpan.FromMilliseconds(s.TouchDelayMs),
                        TouchTimeout = TimeSpan.FromMilliseconds(s.TouchTimeoutMs),
                        // The card and the daemon's record of it (TouchCache) must count the same window.
                        TouchCacheWindow = s.TouchCacheSeconds is { } cache ? TimeSpan.FromSeconds(cache) : Presence.TouchCache.YubiKeyWindow,
                        Profile = s.Profile is null ? null : CardProfile.Parse(s.Profile),
                    });
                    var readers = new HwSimReaders();
                    readers.Add(card);
                    var owned = new Owned(readers, card);
                    var options = new PivTokenOptions { TouchTimeout = TimeSpan.FromMilliseconds(s.TouchTimeoutMs) };
                    return new TokenHost(s, () => PivToken.Open(readers, card.Serial, options), 1, limits.MaxQueuePerToken, owned, card, time)
                    {
                        Serial = card.Serial.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    };
                }

            default:
                throw new ConfigException([$"tokens: kind {s.Kind} of token '{s.Name}' is not available in this build"]);
        }
    }

    /// <summary>
    /// The one way to use the token for an operation (signing, key generation, import): a turn on its queue
    /// (<paramref name="onQueued"/> hears the position while waiting), the live handle (opened, or opened again after
    /// the device went away), the work, and the turn given back whatever happens.
    /// </summary>
    public async Task<T> UseAsync<T>(Func<ISigningToken, Task<T>> work, Func<int, Task>? onQueued, CancellationToken cancellation)
    {
        using (await Queue.EnterAsync(onQueued ?? NoPosition, cancellation).ConfigureAwait(false))
        {
            return await _live.UseAsync(work).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A read that needs no turn (the status, a key's public part and attestation): the live handle and the same rule
    /// about a lost device, without waiting behind operations (the health probe must not wait out a touch).
    /// </summary>
    public T Read<T>(Func<ISigningToken, T> read) => _live.Use(read);

    /// <summary>Drops <paramref name="failed"/> if it is still the handle, so the next use opens the token again.</summary>
    public void Reset(ISigningToken failed) => _live.Drop(failed);

    /// <summary>Status, or the reason the token is not usable.</summary>
    public (TokenStatus? Status, string? Error) Probe()
    {
        try
        {
            var status = Read(token => token.GetStatus());
            Serial = status.Serial;
            return (status, null);
        }
        catch (TokenException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>
    /// What an operator must know of this token's PKCS#11 module (<see cref="Pkcs11Token.ModuleKnownIssue"/>: SoftHSM2 2.6's
    /// leak in every Ed25519 signature), or null: for any other kind of token, and for one that does not open now (what
    /// reports on it says why elsewhere). The start logs it as a warning, <c>--check-config</c> prints it as a note.
    /// </summary>
    public string? ModuleKnownIssue()
    {
        if (Settings.Kind != TokenKind.Pkcs11)
        {
            return null;
        }

        try
        {
            return Read(token => (token as Pkcs11Token)?.ModuleKnownIssue);
        }
        catch (TokenException)
        {
            return null;
        }
    }

    /// <summary>The PIN, management-key and admin-PIN callbacks, from the configured sources; <paramref name="presence"/> hears about touches.</summary>
    public TokenInteraction Interaction(Func<PresencePrompt, CancellationToken, ValueTask>? presence) => new()
    {
        Pin = Settings.Pin is null ? null : (_, _) => ValueTask.FromResult<Secret?>(Settings.Pin.Read()),
        AdminPin = Settings.AdminPin is null ? null : (_, _) => ValueTask.FromResult<Secret?>(Settings.AdminPin.Read()),
        ManagementKey = Settings.ManagementKey is null ? null : (_) => ValueTask.FromResult<Secret?>(ReadHexSecret(Settings.ManagementKey)),
        Presence = presence,
    };

    private static Secret ReadHexSecret(SecretSource source)
    {
        using var text = source.Read();
        var hex = text.Span;
        if (hex.Length % 2 != 0)
        {
            throw new InvalidOperationException($"the management key from {source} is not hex");
        }

        var bytes = new byte[hex.Length / 2];
        try
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)((Nibble(hex[2 * i]) << 4) | Nibble(hex[(2 * i) + 1]));
            }

            return Secret.Copy(bytes);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }

        int Nibble(byte c) => c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => throw new InvalidOperationException($"the management key from {source} is not hex"),
        };
    }

    public void Dispose()
    {
        _live.Dispose();
        _owned?.Dispose();
    }

    private sealed class Owned(HwSimReaders readers, VirtualCard card) : IDisposable
    {
        public void Dispose()
        {
            readers.Dispose();
            card.Dispose();
        }
    }
}
