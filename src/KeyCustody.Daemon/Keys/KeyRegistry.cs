using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Policy;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Keys;

/// <summary>A configured key, bound to its token, with the public key it must have.</summary>
public sealed class KeyEntry(KeySettings settings, TokenHost token)
{
    public KeySettings Settings { get; } = settings;

    public TokenHost Token { get; } = token;

    public string Name => Settings.Name;

    /// <summary>The public key the token must report: configured, or pinned the first time it was seen.</summary>
    public Ed25519PublicKey? PublicKey { get; internal set; }

    /// <summary>What the token last said about the key (policies), when it was reachable.</summary>
    public TokenKey? Info { get; internal set; }

    /// <summary>Why the key cannot be used right now (token absent, key missing, public key differs from the pin).</summary>
    public string? Problem { get; internal set; }

    /// <summary>
    /// The token answered that it holds no Ed25519 key where this one belongs, and no public key is expected of it (none
    /// configured, none pinned): the key was never made, as on a blank card before provisioning. A key that was made
    /// and is gone (pinned, the slot now empty) is not this: that card was reset or replaced.
    /// </summary>
    public bool NotGenerated { get; internal set; }

    /// <summary>How the key came to be and whether it may sign for its role (<see cref="KeyProvenanceBook"/>).</summary>
    public KeyTrust Trust
    {
        get => _trust ?? KeyTrust.NotRecorded(Settings.Role);
        internal set => _trust = value;
    }

    private KeyTrust? _trust;

    /// <summary>The Matrix key id signatures go under.</summary>
    public string? MatrixKeyName => PublicKey is null ? null : Settings.MatrixKeyName(PublicKey);

    /// <summary>Whether using the key waits for a touch (from the token's policy) or for an operator.</summary>
    public PresenceKind PresenceKind => Settings.Presence switch
    {
        PresenceMode.None => PresenceKind.None,
        PresenceMode.Operator => PresenceKind.Operator,
        _ => Info is { TouchPolicy: TouchPolicy.Always or TouchPolicy.Cached } ? PresenceKind.Touch : PresenceKind.Operator,
    };
}

public enum PresenceKind
{
    None,
    Touch,
    Operator,
}

/// <summary>
/// All configured keys. At start (and when a token comes back) each key's public key is read from its
/// token and compared with the configured one or the pin in the state directory (pinned on first
/// sight). A token that reports another key for the slot is refused: it is not the device configured.
/// </summary>
public sealed class KeyRegistry
{
    private readonly Dictionary<string, KeyEntry> _keys;
    private readonly string _pinFile;
    private readonly Lock _pinLock = new();

    private readonly bool _allowSoftwareMaster;

    /// <param name="keys">The configured keys, each with its token.</param>
    /// <param name="stateDirectory">Where pins.json is kept.</param>
    /// <param name="allowSoftwareMaster">Whether a master key may be on a software token (development).</param>
    /// <param name="provenance">What is recorded of each key's origin; without one, no key is attested or accepted.</param>
    public KeyRegistry(IEnumerable<KeyEntry> keys, string stateDirectory, bool allowSoftwareMaster, KeyProvenanceBook? provenance = null)
    {
        _allowSoftwareMaster = allowSoftwareMaster;
        Provenance = provenance;
        _keys = keys.ToDictionary(k => k.Name, StringComparer.Ordinal);
        _pinFile = Path.Combine(stateDirectory, "pins.json");
    }

    /// <summary>What is recorded of each key's origin and attestation (null: nothing is, and nothing is attested).</summary>
    public KeyProvenanceBook? Provenance { get; }

    public IEnumerable<KeyEntry> All => _keys.Values.OrderBy(k => k.Name, StringComparer.Ordinal);

    public KeyEntry? Find(string name) => _keys.GetValueOrDefault(name);

    /// <summary>The cross-signing public keys configured for <paramref name="owner"/> (backups included), for the signing policy.</summary>
    public KnownIdentity IdentityOf(string owner) =>
        All.Where(k => k.Settings.Owner == owner && k.PublicKey is not null && k.Settings.Role.ToUsage() is not null)
            .Aggregate(KnownIdentity.None, (known, k) => known.With(k.Settings.Role.ToUsage()!.Value, k.PublicKey!));

    /// <summary>Reads every key from its token; a problem found is kept on its entry (<see cref="KeyEntry.Problem"/>).</summary>
    public void Refresh()
    {
        foreach (var key in All)
        {
            Refresh(key);
        }
    }

    /// <summary>Reads <paramref name="key"/> from its token (no turn on its queue: a read) and checks it against its pin.</summary>
    public void Refresh(KeyEntry key)
    {
        try
        {
            key.Token.Read(token =>
            {
                Compare(key, token, token.GetKey(key.Settings.KeyId));
                return true;
            });
        }
        catch (TokenException e)
        {
            key.PublicKey ??= key.Settings.PublicKey ?? Pinned(key.Name);
            key.Problem = e.Message;
            key.NotGenerated = e.Kind == TokenErrorKind.KeyNotFound && key.PublicKey is null;
            Provenance?.Update(key);
        }
    }

    private void Compare(KeyEntry key, ISigningToken token, TokenKey info)
    {
        key.NotGenerated = false;
        var actual = new Ed25519PublicKey(info.PublicKey);
        var expected = key.Settings.PublicKey ?? Pinned(key.Name);
        if (expected is null)
        {
            Pin(key.Name, actual);
            expected = actual;
        }

        if (!expected.Equals(actual))
        {
            key.Problem = $"token {key.Token.Name} holds public key {actual.Base64} in {key.Settings.KeyId}, but this key is {expected.Base64}: it is not the configured device or the key was replaced";
            key.PublicKey = expected;
            Provenance?.Update(key);
            return;
        }

        key.PublicKey = actual;
        key.Info = info;
        // A simulator token (explicitly configured, logged as a warning, reported as not hardware-backed) may hold
        // the demo's master key; a real token that says it is software may not.
        key.Problem = key.Settings.Role == KeyRole.Master && !token.IsHardwareBacked && key.Token.Settings.Kind != TokenKind.Simulator && !_allowSoftwareMaster
            ? $"token {key.Token.Name} is not hardware-backed, and a master key must be (set allowSoftwareMasterKey only for development)"
            : null;
        Provenance?.Observe(key, token);
    }

    /// <summary>
    /// After an operator generated a new key for <paramref name="key"/> (audited by the caller), the pin follows it.
    /// A public key written in the configuration is never overridden: the configuration must change.
    /// </summary>
    public void Repin(KeyEntry key, Ed25519PublicKey generated)
    {
        if (key.Settings.PublicKey is null)
        {
            Pin(key.Name, generated);
        }

        Refresh(key);
    }

    private Ed25519PublicKey? Pinned(string name)
    {
        lock (_pinLock)
        {
            return ReadPin(_pinFile, name);
        }
    }

    /// <summary>The public key pinned for <paramref name="name"/> in <paramref name="stateDirectory"/>'s pins.json, read only (--check-config).</summary>
    public static Ed25519PublicKey? PinnedIn(string stateDirectory, string name) => ReadPin(Path.Combine(stateDirectory, "pins.json"), name);

    private static Ed25519PublicKey? ReadPin(string pinFile, string name)
    {
        if (!File.Exists(pinFile))
        {
            return null;
        }

        var pins = CanonicalJson.ParseObject(File.ReadAllBytes(pinFile));
        return pins.GetString(name) is { } b64 ? Ed25519PublicKey.FromBase64(b64) : null;
    }

    private void Pin(string name, Ed25519PublicKey key)
    {
        lock (_pinLock)
        {
            var pins = File.Exists(_pinFile) ? CanonicalJson.ParseObject(File.ReadAllBytes(_pinFile)) : JsonObject.Empty;
            var tmp = _pinFile + ".tmp";
            using (var f = new FileStream(tmp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                f.Write(CanonicalJson.Encode(pins.With(name, key.Base64)));
                f.Flush(flushToDisk: true);
            }

            File.Move(tmp, _pinFile, overwrite: true);
        }
    }
}
