using System.Collections.Concurrent;
using System.Security.Cryptography;
using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// Ed25519 keys on a PKCS#11 v3 token (SoftHSM2, YubiHSM 2, ykcs11 2.6.1+) through our own binding
/// (<see cref="Cryptoki"/>, Native AOT safe) with the 3.0 mechanism numbers. Keys are named by label or CKA_ID (<see cref="Pkcs11KeyName"/>: <c>label:NAME</c>,
/// <c>id:HEX</c>, for ykcs11 <c>slot:9c</c>, a bare name is a label) and the two halves of a pair are matched by CKA_ID
/// (<see cref="Pkcs11KeyFinder"/>); private keys are generated sensitive and non-extractable.
/// Signing runs on a pool of sessions (one per concurrent signer) and on the calling thread: call concurrently to
/// sign in parallel. A signer that finds every session busy waits asynchronously and resumes on the thread pool, so
/// do not block thread-pool threads on the result with more signers than sessions (async callers, as the daemon's
/// are, or dedicated threads). The user logs in once, when a key first needs it (the PIN comes from the
/// interaction); CKA_ALWAYS_AUTHENTICATE keys get a context-specific login per signature. PIN policies map to
/// never = CKA_PRIVATE false, once = the login, always = CKA_ALWAYS_AUTHENTICATE; where the module says more (ykcs11's
/// vendor attributes: the YubiKey's own PIN and touch policy), that is what the key reports, and a key whose touch
/// policy is always or cached calls the presence hook before the signature.
/// </summary>
public sealed class Pkcs11Token : ISigningToken
{
    private readonly Pkcs11Module _module;
    private readonly Pkcs11Slot _slot;
    private readonly Pkcs11Session _admin;
    private readonly object _adminGate = new();
    private readonly SemaphoreSlim _loginGate = new(1, 1);
    private readonly UseTracker _use;
    private readonly Pkcs11SessionPool _pool;
    private readonly ConcurrentDictionary<string, Pkcs11Key> _keys = new(StringComparer.Ordinal);
    private readonly bool _hardware;
    private readonly TimeSpan _touchTimeout;
    private volatile bool _loggedIn;

    private Pkcs11Token(Pkcs11Module module, Pkcs11Slot slot, Pkcs11TokenInfo info, int poolSize, bool hardware, TimeSpan touchTimeout)
    {
        _module = module;
        _touchTimeout = touchTimeout;
        _slot = slot;
        Label = info.Label;
        Serial = info.SerialNumber;
        _hardware = hardware;
        _use = new UseTracker(Name);
        try
        {
            _admin = slot.OpenSession(readWrite: true);
            _pool = new Pkcs11SessionPool(slot, poolSize, Name);
        }
        catch (Pkcs11CallException e)
        {
            CloseQuietly(_admin);
            throw Pkcs11Errors.ToError(e, Name, "C_OpenSession");
        }
        catch (TokenException)
        {
            // The pool could not open its sessions: the admin session goes with it.
            CloseQuietly(_admin);
            throw;
        }
    }

    public string Label { get; }

    /// <summary>What an operator must know of the module behind this token (a known leak of its version), or null.</summary>
    public string? ModuleKnownIssue => _module.KnownIssue;

    public string Serial { get; }

    /// <summary>Sessions available for parallel signing.</summary>
    public int PoolSize => _pool.Size;

    public bool IsHardwareBacked => _hardware;

    private string Name => $"PKCS#11 \"{Label}\" ({Serial})";

    /// <summary>Loads the module (once per process) and opens the token with the given label or serial.</summary>
    public static Pkcs11Token Open(Pkcs11TokenOptions options)
    {
        if ((options.TokenLabel is null) == (options.TokenSerial is null))
        {
            throw new ArgumentException("give exactly one of TokenLabel and TokenSerial", nameof(options));
        }

        var module = Pkcs11Module.Acquire(options.ModulePath);
        try
        {
            var (slot, info) = Pkcs11SlotFinder.Find(module, options);
            int poolSize = Pkcs11SlotFinder.PoolSize(options.PoolSize, info);
            bool hardware = options.HardwareBacked ?? SlotInfo(slot, module.Path).HardwareSlot;
            return new Pkcs11Token(module, slot, info, poolSize, hardware, options.TouchTimeout);
        }
        catch
        {
            module.Release();
            throw;
        }
    }

    /// <summary>Logs the user in now (e.g. at daemon start) instead of at the first key that needs it.</summary>
    public async Task LoginAsync(TokenInteraction interaction, CancellationToken cancellation = default)
    {
        using var use = _use.Enter("login");
        using var pin = await ObtainPin(interaction, null, cancellation).ConfigureAwait(false);
        await EnsureLoggedIn(pin, cancellation).ConfigureAwait(false);
    }

    public TokenStatus GetStatus(CancellationToken cancellation = default)
    {
        using var use = _use.Enter("status");
        var info = TokenInfo();
        return new TokenStatus(
            "pkcs11",
            Serial,
            Version.TryParse(info.FirmwareVersion, out var firmware) ? firmware : null,
            RetriesFrom(info),
            _hardware,
            $"{info.ManufacturerId} {info.Model} \"{Label}\" via {_module.Path}");
    }

    public IReadOnlyList<TokenKey> ListKeys(CancellationToken cancellation = default)
    {
        using var use = _use.Enter("key listing");
        var names = Admin(session => Finder(session).Names(), "C_FindObjects");
        var keys = new List<TokenKey>(names.Count);
        foreach (var name in names)
        {
            try
            {
                keys.Add(Resolve(name).Info);
            }
            catch (TokenException e) when (e.Kind == TokenErrorKind.KeyNotFound)
            {
                // A public key whose private half is not on the token is no key to sign with.
            }
        }

        return keys;
    }

    public TokenKey GetKey(string keyId, CancellationToken cancellation = default)
    {
        using var use = _use.Enter("key lookup");
        return Resolve(keyId).Info;
    }

    /// <summary>Not yet: importing an Ed25519 seed as a sensitive, non-extractable object is token-specific (YubiHSM 2 wants wrapped import).</summary>
    public Task<TokenKey> ImportKeyAsync(KeyGenerationRequest request, Secret seed, TokenInteraction interaction, CancellationToken cancellation = default) =>
        throw TokenErrors.NotSupported(Name, "importing a key (generate the key on the token instead)");

    public async Task<TokenKey> GenerateKeyAsync(KeyGenerationRequest request, TokenInteraction interaction, CancellationToken cancellation = default)
    {
        if (request.TouchPolicy is not (TouchPolicy.Default or TouchPolicy.Never))
        {
            throw TokenErrors.NotSupported(Name, "a touch policy (PKCS#11 has none; the daemon asks an operator instead)");
        }

        if (string.IsNullOrEmpty(request.KeyId) || request.KeyId.Length > 128)
        {
            throw new ArgumentException("a PKCS#11 key name (label:NAME, id:HEX or a label) is 1..128 characters", nameof(request));
        }

        var name = Pkcs11KeyName.Parse(request.KeyId, Name, _module.Ykcs11Version is not null);
        if (_module.Ykcs11Version is not null)
        {
            throw TokenErrors.NotSupported(Name, "generating a key through ykcs11 (it takes the PIV management key as SO PIN); generate it with yubico-piv-tool or ykman, or use the daemon's own PIV backend (token kind piv)");
        }

        using var use = _use.Enter("key generation");
        bool wasLoggedIn = IsLoggedIn();
        if (!wasLoggedIn)
        {
            using var pin = await ObtainPin(interaction, request.KeyId, cancellation).ConfigureAwait(false);
            await EnsureLoggedIn(pin, cancellation).ConfigureAwait(false);
        }

        try
        {
            return Generate(request, name);
        }
        finally
        {
            if (!wasLoggedIn)
            {
                // Generation is an administrative step: it does not leave the token unlocked for signing.
                Logout();
            }
        }
    }

    public Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, CancellationToken cancellation = default) =>
        SignAsync(keyId, message, interaction, ReadOnlyMemory<byte>.Empty, cancellation);

    public async Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, ReadOnlyMemory<byte> expectedPublicKey, CancellationToken cancellation = default)
    {
        if (cancellation.IsCancellationRequested)
        {
            throw TokenErrors.Cancelled(Name, "signature");
        }

        using var use = _use.Enter("signature");
        var key = ResolveBeforeLogin(keyId, interaction);
        bool needsLogin = key?.PrivateHandle is null || (key.IsPrivate && !IsLoggedIn());
        using var pin = needsLogin || key!.AlwaysAuthenticate ? await ObtainPin(interaction, keyId, cancellation).ConfigureAwait(false) : null;
        if (needsLogin)
        {
            await EnsureLoggedIn(pin!, cancellation).ConfigureAwait(false);
            key = Resolve(keyId, refresh: true);
        }

        var handle = key!.PrivateHandle ?? throw TokenErrors.KeyNotFound(Name, keyId);
        bool touch = key.Info.TouchPolicy is TouchPolicy.Always or TouchPolicy.Cached;
        if (touch)
        {
            await Presence(interaction, keyId, key.Info.TouchPolicy, cancellation).ConfigureAwait(false);
        }

        var session = await _pool.RentAsync(cancellation).ConfigureAwait(false);
        bool broken = false;
        byte[] signature;
        try
        {
            signature = RawSign(session, handle, message.Span, key.AlwaysAuthenticate ? pin : null, touch ? keyId : null);
        }
        catch (TokenException e) when (e.Kind is TokenErrorKind.TokenRemoved or TokenErrorKind.DeviceError or TokenErrorKind.PinIncorrect or TokenErrorKind.PinRequired or TokenErrorKind.TouchTimeout)
        {
            // The session may be left with an operation half done: do not hand it to the next signer.
            broken = true;
            if (e.Kind == TokenErrorKind.TokenRemoved)
            {
                _keys.Clear();
                _loggedIn = false;
            }

            throw;
        }
        finally
        {
            _pool.Return(session, broken);
        }

        return Ed25519Check.Require(Name, key.Info, message.Span, signature, expectedPublicKey);
    }

    public KeyAttestation Attest(string keyId, CancellationToken cancellation = default) =>
        throw TokenErrors.NotSupported(Name, "attestation through PKCS#11");

    /// <summary>
    /// Waits until no operation is inside the module (a handle may still be in use by other threads when the daemon
    /// opens the token again), refuses new ones, then closes the sessions and releases the module.
    /// </summary>
    public void Dispose()
    {
        if (!_use.CloseAndDrain())
        {
            return;
        }

        _pool.Dispose();
        lock (_adminGate)
        {
            CloseQuietly(_admin);
        }

        _loginGate.Dispose();
        _module.Release();
    }

    /// <summary>C_SignInit, the context-specific login of an always-authenticate key, C_Sign. <paramref name="touchKey"/>: the key waits for a touch (its refusal is then a touch timeout).</summary>
    private byte[] RawSign(Pkcs11Session session, ulong key, ReadOnlySpan<byte> message, Secret? contextPin, string? touchKey)
    {
        var rv = session.SignInit(Pkcs11Native.CkmEddsa, key);
        if (rv != CKR.CKR_OK)
        {
            throw Pkcs11Errors.ToError(rv, Name, "C_SignInit");
        }

        if (contextPin is not null)
        {
            rv = session.Login(CKU.CKU_CONTEXT_SPECIFIC, contextPin.Span);
            if (rv != CKR.CKR_OK)
            {
                throw Pkcs11Errors.ToError(rv, Name, "C_Login (context specific)", RetriesFrom(TokenInfo()));
            }
        }

        var signature = new byte[Ed25519Check.SignatureLength];
        int length;
        try
        {
            rv = session.Sign(message, signature, out length);
        }
        catch (Pkcs11CallException e)
        {
            // It wrote past the signature's room (Pkcs11Session.Sign): a device error, the session is not reused.
            throw Pkcs11Errors.ToError(e, Name, "C_Sign");
        }

        if (rv == CKR.CKR_USER_NOT_LOGGED_IN && touchKey is not null)
        {
            // ykcs11 turns the card's 6982 into CKR_USER_NOT_LOGGED_IN; logged in as we are, it was the touch.
            throw TokenErrors.TouchTimeout(Name, touchKey);
        }

        if (rv != CKR.CKR_OK)
        {
            throw Pkcs11Errors.ToError(rv, Name, "C_Sign");
        }

        return length == signature.Length
            ? signature
            : throw TokenErrors.Device(Name, $"C_Sign returned {length} bytes for Ed25519", "bad signature length");
    }

    private TokenKey Generate(KeyGenerationRequest request, Pkcs11KeyName name)
    {
        Admin(session =>
        {
            var existing = FindKeyObjects(session, name);
            if (existing.Count > 0 && !request.Overwrite)
            {
                throw TokenErrors.KeyExists(Name, request.KeyId);
            }

            var id = name.Id ?? RandomNumberGenerator.GetBytes(16);
            var publicTemplate = new List<Pkcs11Attribute>
            {
                Attribute(CKA.CKA_TOKEN, true),
                Attribute(CKA.CKA_PRIVATE, false),
                Attribute(CKA.CKA_VERIFY, true),
                Attribute(CKA.CKA_KEY_TYPE, Pkcs11Native.CkkEcEdwards),
                Attribute(CKA.CKA_EC_PARAMS, Pkcs11Native.Edwards25519Params),
                Attribute(CKA.CKA_ID, id),
            };
            var privateTemplate = new List<Pkcs11Attribute>
            {
                Attribute(CKA.CKA_TOKEN, true),
                Attribute(CKA.CKA_PRIVATE, request.PinPolicy != PinPolicy.Never),
                Attribute(CKA.CKA_SENSITIVE, true),
                Attribute(CKA.CKA_EXTRACTABLE, false),
                Attribute(CKA.CKA_SIGN, true),
                Attribute(CKA.CKA_KEY_TYPE, Pkcs11Native.CkkEcEdwards),
                Attribute(CKA.CKA_ID, id),
            };
            if (name.Label is not null)
            {
                publicTemplate.Add(Attribute(CKA.CKA_LABEL, name.Label));
                privateTemplate.Add(Attribute(CKA.CKA_LABEL, name.Label));
            }

            if (request.PinPolicy == PinPolicy.Always)
            {
                privateTemplate.Add(Attribute(CKA.CKA_ALWAYS_AUTHENTICATE, true));
            }

            session.GenerateKeyPair(Pkcs11Native.CkmEcEdwardsKeyPairGen, publicTemplate, privateTemplate);

            // The new pair exists before the old one goes: a failure above leaves the old key intact.
            foreach (var handle in existing)
            {
                session.DestroyObject(handle);
            }

            _keys.TryRemove(request.KeyId, out _);
            return true;
        }, "C_GenerateKeyPair");
        return Resolve(request.KeyId, refresh: true).Info;
    }

    /// <summary>Every Ed25519 object (both halves) the name answers to.</summary>
    private List<ulong> FindKeyObjects(Pkcs11Session session, Pkcs11KeyName name)
    {
        var finder = Finder(session);
        return finder.Objects(CKO.CKO_PUBLIC_KEY, name).Concat(finder.Objects(CKO.CKO_PRIVATE_KEY, name))
            .Where(handle => session.GetAttributeValue(handle, [CKA.CKA_KEY_TYPE])[0].AsNumber() == Pkcs11Native.CkkEcEdwards)
            .ToList();
    }

    private Pkcs11KeyFinder Finder(Pkcs11Session session) => new(session, Name, _module.Ykcs11Version, _loggedIn);

    private Pkcs11Key Resolve(string keyId, bool refresh = false)
    {
        if (!refresh && _keys.TryGetValue(keyId, out var cached))
        {
            return cached;
        }

        var name = Pkcs11KeyName.Parse(keyId, Name, _module.Ykcs11Version is not null);
        var entry = Admin(session => Finder(session).Find(name), "C_FindObjects");
        if (entry.PrivateHandle is not null)
        {
            _keys[keyId] = entry;
        }

        return entry;
    }

    /// <summary>
    /// The key before a signature; null if the name is not found yet but may be after login (it names the private half
    /// of a pair, which a module such as ykcs11 shows only then) and there is a PIN to log in with.
    /// </summary>
    private Pkcs11Key? ResolveBeforeLogin(string keyId, TokenInteraction interaction)
    {
        try
        {
            return Resolve(keyId);
        }
        catch (TokenException e) when (e.Kind == TokenErrorKind.KeyNotFound && interaction.Pin is not null && !IsLoggedIn())
        {
            return null;
        }
    }

    private async Task Presence(TokenInteraction interaction, string keyId, TouchPolicy policy, CancellationToken cancellation)
    {
        if (interaction.Presence is null)
        {
            return;
        }

        try
        {
            await interaction.Presence(new PresencePrompt(Serial, keyId, "sign", policy, _touchTimeout), cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(Name, "signature", e);
        }
    }

    /// <summary>PKCS#11 knows only "final try" and "locked"; the PIN's format is the module's to judge, so none is refused here.</summary>
    private Task<Secret> ObtainPin(TokenInteraction interaction, string? keyId, CancellationToken cancellation) =>
        PinGuard.ObtainAsync(
            interaction.Pin,
            new PinPrompt(Serial, keyId, RetriesFrom(TokenInfo())),
            interaction.AllowLastPinRetry,
            _ => null,
            new PinErrors(
                () => TokenErrors.PinBlocked(Name),
                left => TokenErrors.PinAttemptRefused(Name, left),
                () => TokenErrors.PinRequired(Name, keyId),
                problem => TokenErrors.PinFormatInvalid(Name, problem),
                e => TokenErrors.Cancelled(Name, "login", e)),
            cancellation);

    private async Task EnsureLoggedIn(Secret pin, CancellationToken cancellation)
    {
        try
        {
            await _loginGate.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(Name, "login", e);
        }

        try
        {
            if (_loggedIn)
            {
                return;
            }

            lock (_adminGate)
            {
                // CKR_USER_ALREADY_LOGGED_IN: another token object on the same module logged in (login state is per application).
                var rv = _admin.Login(CKU.CKU_USER, pin.Span);
                if (rv is not (CKR.CKR_OK or CKR.CKR_USER_ALREADY_LOGGED_IN))
                {
                    throw Pkcs11Errors.ToError(rv, Name, "C_Login", RetriesFrom(TokenInfo()));
                }
            }

            _loggedIn = true;
            _keys.Clear();
        }
        finally
        {
            _loginGate.Release();
        }
    }

    /// <summary>
    /// Login state belongs to the application, not to this object: another token object on the same module may
    /// have logged in. Ask the admin session when our flag says no.
    /// </summary>
    private bool IsLoggedIn()
    {
        if (_loggedIn)
        {
            return true;
        }

        var state = Admin(session => session.State(), "C_GetSessionInfo");
        _loggedIn = state is CKS.CKS_RO_USER_FUNCTIONS or CKS.CKS_RW_USER_FUNCTIONS;
        return _loggedIn;
    }

    private void Logout()
    {
        lock (_adminGate)
        {
            try
            {
                _admin.Logout();
            }
            catch (Pkcs11CallException)
            {
                // Not logged in, or the token left: either way nobody is logged in now.
            }
        }

        _loggedIn = false;
        _keys.Clear();
    }

    private Pkcs11TokenInfo TokenInfo()
    {
        try
        {
            return _slot.GetTokenInfo();
        }
        catch (Pkcs11CallException e)
        {
            throw Pkcs11Errors.ToError(e, Name, "C_GetTokenInfo");
        }
    }

    /// <summary>PKCS#11 has no counter, only flags: locked = 0, final try = 1, otherwise unknown.</summary>
    private static int? RetriesFrom(Pkcs11TokenInfo info) =>
        info.UserPinLocked ? 0 : info.UserPinFinalTry ? 1 : null;

    private T Admin<T>(Func<Pkcs11Session, T> action, string operation)
    {
        lock (_adminGate)
        {
            try
            {
                return action(_admin);
            }
            catch (Pkcs11CallException e)
            {
                var error = Pkcs11Errors.ToError(e, Name, operation);
                if (error.Kind == TokenErrorKind.TokenRemoved)
                {
                    _keys.Clear();
                    _loggedIn = false;
                }

                throw error;
            }
        }
    }

    private static Pkcs11Attribute Attribute(ulong type, bool value) => Pkcs11Attribute.Of(type, value);

    private static Pkcs11Attribute Attribute(ulong type, ulong value) => Pkcs11Attribute.Of(type, value);

    private static Pkcs11Attribute Attribute(ulong type, string value) => Pkcs11Attribute.Of(type, value);

    private static Pkcs11Attribute Attribute(ulong type, byte[] value) => Pkcs11Attribute.Of(type, value);

    private static Pkcs11SlotInfo SlotInfo(Pkcs11Slot slot, string module)
    {
        try
        {
            return slot.GetSlotInfo();
        }
        catch (Pkcs11CallException e)
        {
            throw Pkcs11Errors.ToError(e, module, "C_GetSlotInfo");
        }
    }

    /// <summary>Closes a session whose token may be gone already (the handle is dead either way).</summary>
    private static void CloseQuietly(Pkcs11Session? session)
    {
        try
        {
            session?.Dispose();
        }
        catch (Pkcs11CallException)
        {
            // The token is gone already.
        }
    }
}
