using System.Collections.Concurrent;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.LowLevelAPI80;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>
/// Ed25519 keys on a PKCS#11 v3 token (SoftHSM2, YubiHSM 2, ykcs11 2.6.1+) through Pkcs11Interop with the raw
/// 3.0 mechanism numbers. Keys are named by CKA_LABEL; private keys are generated sensitive and non-extractable.
/// Signing runs on a pool of sessions (one per concurrent signer) and on the calling thread: call concurrently to
/// sign in parallel. A signer that finds every session busy waits asynchronously and resumes on the thread pool, so
/// do not block thread-pool threads on the result with more signers than sessions (async callers, as the daemon's
/// are, or dedicated threads). The user logs in once, when a key first needs it (the PIN comes from the
/// interaction); CKA_ALWAYS_AUTHENTICATE keys get a context-specific login per signature. PIN policies map to
/// never = CKA_PRIVATE false, once = the login, always = CKA_ALWAYS_AUTHENTICATE. There is no touch.
/// </summary>
public sealed class Pkcs11Token : ISigningToken
{
    private readonly Pkcs11Module _module;
    private readonly ISlot _slot;
    private readonly ISession _admin;
    private readonly object _adminGate = new();
    private readonly SemaphoreSlim _loginGate = new(1, 1);
    private readonly UseTracker _use;
    private readonly Pkcs11SessionPool _pool;
    private readonly ConcurrentDictionary<string, KeyEntry> _keys = new(StringComparer.Ordinal);
    private readonly bool _hardware;
    private volatile bool _loggedIn;

    private Pkcs11Token(Pkcs11Module module, ISlot slot, ITokenInfo info, int poolSize, bool hardware)
    {
        _module = module;
        _slot = slot;
        Label = info.Label.Trim();
        Serial = info.SerialNumber.Trim();
        _hardware = hardware;
        _use = new UseTracker(Name);
        try
        {
            _admin = slot.OpenSession(SessionType.ReadWrite);
            _pool = new Pkcs11SessionPool(slot, poolSize, Name);
        }
        catch (Pkcs11Exception e)
        {
            _admin?.Dispose();
            throw Pkcs11Errors.ToError(e, Name, "C_OpenSession");
        }
    }

    public string Label { get; }

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
            bool hardware = options.HardwareBacked ?? slot.GetSlotInfo().SlotFlags.HardwareSlot;
            return new Pkcs11Token(module, slot, info, poolSize, hardware);
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
            $"{info.ManufacturerId.Trim()} {info.Model.Trim()} \"{Label}\" via {_module.Path}");
    }

    public IReadOnlyList<TokenKey> ListKeys(CancellationToken cancellation = default)
    {
        using var use = _use.Enter("key listing");
        var labels = Admin(session => session
            .FindAllObjects([Attribute(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY), Attribute(CKA.CKA_KEY_TYPE, Pkcs11Native.CkkEcEdwards)])
            .Select(handle => session.GetAttributeValue(handle, [CKA.CKA_LABEL])[0].GetValueAsString())
            .Where(label => !string.IsNullOrEmpty(label))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList(), "C_FindObjects");
        return labels.Select(label => Resolve(label).Info).ToList();
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
            throw new ArgumentException("a PKCS#11 key id (CKA_LABEL) is 1..128 characters", nameof(request));
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
            return Generate(request);
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
        var key = Resolve(keyId);
        bool needsLogin = key.PrivateHandle is null || (key.IsPrivate && !IsLoggedIn());
        using var pin = needsLogin || key.AlwaysAuthenticate ? await ObtainPin(interaction, keyId, cancellation).ConfigureAwait(false) : null;
        if (needsLogin)
        {
            await EnsureLoggedIn(pin!, cancellation).ConfigureAwait(false);
            key = Resolve(keyId, refresh: true);
        }

        var handle = key.PrivateHandle ?? throw TokenErrors.KeyNotFound(Name, keyId);
        var session = await _pool.RentAsync(cancellation).ConfigureAwait(false);
        bool broken = false;
        byte[] signature;
        try
        {
            signature = RawSign(session.SessionId, handle, message.Span, key.AlwaysAuthenticate ? pin : null);
        }
        catch (TokenException e) when (e is TokenRemovedException or DeviceErrorException or PinIncorrectException or PinRequiredException)
        {
            // The session may be left with an operation half done: do not hand it to the next signer.
            broken = true;
            if (e is TokenRemovedException)
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
            try
            {
                _admin.Dispose();
            }
            catch (Pkcs11Exception)
            {
                // The token is gone already.
            }
        }

        _loginGate.Dispose();
        _module.Release();
    }

    private byte[] RawSign(ulong session, ulong key, ReadOnlySpan<byte> message, Secret? contextPin)
    {
        var raw = _module.Raw;
        var mechanism = CkmUtils.CreateMechanism(Pkcs11Native.CkmEddsa);
        var rv = raw.C_SignInit(session, ref mechanism, key);
        if (rv != CKR.CKR_OK)
        {
            throw Pkcs11Errors.ToError(rv, Name, "C_SignInit");
        }

        if (contextPin is not null)
        {
            var pin = contextPin.UnsafeArray;
            rv = raw.C_Login(session, CKU.CKU_CONTEXT_SPECIFIC, pin, (ulong)pin.Length);
            if (rv != CKR.CKR_OK)
            {
                throw Pkcs11Errors.ToError(rv, Name, "C_Login (context specific)", RetriesFrom(TokenInfo()));
            }
        }

        var data = message.ToArray();
        var signature = new byte[Ed25519Check.SignatureLength];
        ulong length = (ulong)signature.Length;
        rv = raw.C_Sign(session, data, (ulong)data.Length, signature, ref length);
        if (rv != CKR.CKR_OK)
        {
            throw Pkcs11Errors.ToError(rv, Name, "C_Sign");
        }

        return length == (ulong)signature.Length
            ? signature
            : throw TokenErrors.Device(Name, $"C_Sign returned {length} bytes for Ed25519", "bad signature length");
    }

    private TokenKey Generate(KeyGenerationRequest request)
    {
        Admin(session =>
        {
            var existing = FindKeyObjects(session, request.KeyId);
            if (existing.Count > 0 && !request.Overwrite)
            {
                throw TokenErrors.KeyExists(Name, request.KeyId);
            }

            var id = RandomNumberGenerator.GetBytes(16);
            var publicTemplate = new List<IObjectAttribute>
            {
                Attribute(CKA.CKA_TOKEN, true),
                Attribute(CKA.CKA_PRIVATE, false),
                Attribute(CKA.CKA_VERIFY, true),
                Attribute(CKA.CKA_KEY_TYPE, Pkcs11Native.CkkEcEdwards),
                Attribute(CKA.CKA_EC_PARAMS, Pkcs11Native.Edwards25519Params),
                Attribute(CKA.CKA_LABEL, request.KeyId),
                Attribute(CKA.CKA_ID, id),
            };
            var privateTemplate = new List<IObjectAttribute>
            {
                Attribute(CKA.CKA_TOKEN, true),
                Attribute(CKA.CKA_PRIVATE, request.PinPolicy != PinPolicy.Never),
                Attribute(CKA.CKA_SENSITIVE, true),
                Attribute(CKA.CKA_EXTRACTABLE, false),
                Attribute(CKA.CKA_SIGN, true),
                Attribute(CKA.CKA_KEY_TYPE, Pkcs11Native.CkkEcEdwards),
                Attribute(CKA.CKA_LABEL, request.KeyId),
                Attribute(CKA.CKA_ID, id),
            };
            if (request.PinPolicy == PinPolicy.Always)
            {
                privateTemplate.Add(Attribute(CKA.CKA_ALWAYS_AUTHENTICATE, true));
            }

            var mechanism = session.Factories.MechanismFactory.Create(Pkcs11Native.CkmEcEdwardsKeyPairGen);
            session.GenerateKeyPair(mechanism, publicTemplate, privateTemplate, out _, out _);

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

    private List<IObjectHandle> FindKeyObjects(ISession session, string label) =>
        session.FindAllObjects([Attribute(CKA.CKA_KEY_TYPE, Pkcs11Native.CkkEcEdwards), Attribute(CKA.CKA_LABEL, label)]);

    private KeyEntry Resolve(string keyId, bool refresh = false)
    {
        if (!refresh && _keys.TryGetValue(keyId, out var cached))
        {
            return cached;
        }

        var entry = Admin(session =>
        {
            var labelled = new[] { Attribute(CKA.CKA_KEY_TYPE, Pkcs11Native.CkkEcEdwards), Attribute(CKA.CKA_LABEL, keyId) };
            var publicKey = session.FindAllObjects([Attribute(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY), .. labelled]).FirstOrDefault()
                ?? throw TokenErrors.KeyNotFound(Name, keyId);
            var point = session.GetAttributeValue(publicKey, [CKA.CKA_EC_POINT])[0].GetValueAsByteArray();
            var raw = Pkcs11Native.PublicKeyFromEcPoint(point)
                ?? throw TokenErrors.Device(Name, $"key {keyId} has a CKA_EC_POINT that is not an Ed25519 point", "bad CKA_EC_POINT");
            var privateKey = session.FindAllObjects([Attribute(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), .. labelled]).FirstOrDefault();
            if (privateKey is null)
            {
                // Before login a private (PIN-protected) key is invisible: its policy is at least "once".
                return _loggedIn
                    ? throw TokenErrors.KeyNotFound(Name, keyId)
                    : new KeyEntry(new TokenKey(keyId, raw, PinPolicy.Once, TouchPolicy.Never, KeyOrigin.Unknown), null, true, false);
            }

            var attributes = session.GetAttributeValue(privateKey, [CKA.CKA_PRIVATE, CKA.CKA_ALWAYS_AUTHENTICATE, CKA.CKA_LOCAL]);
            bool isPrivate = attributes[0].GetValueAsBool();
            bool always = !attributes[1].CannotBeRead && attributes[1].GetValueAsBool();
            bool local = !attributes[2].CannotBeRead && attributes[2].GetValueAsBool();
            var policy = always ? PinPolicy.Always : isPrivate ? PinPolicy.Once : PinPolicy.Never;
            var info = new TokenKey(keyId, raw, policy, TouchPolicy.Never, local ? KeyOrigin.Generated : KeyOrigin.Imported);
            return new KeyEntry(info, privateKey.ObjectId, isPrivate, always);
        }, "C_FindObjects");
        if (entry.PrivateHandle is not null)
        {
            _keys[keyId] = entry;
        }

        return entry;
    }

    private async Task<Secret> ObtainPin(TokenInteraction interaction, string? keyId, CancellationToken cancellation)
    {
        var retries = RetriesFrom(TokenInfo());
        if (retries == 0)
        {
            throw TokenErrors.PinBlocked(Name);
        }

        if (retries == 1 && !interaction.AllowLastPinRetry)
        {
            throw TokenErrors.PinAttemptRefused(Name, 1);
        }

        if (interaction.Pin is null)
        {
            throw TokenErrors.PinRequired(Name, keyId);
        }

        Secret? pin;
        try
        {
            pin = await interaction.Pin(new PinPrompt(Serial, keyId, retries), cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw TokenErrors.Cancelled(Name, "login", e);
        }

        return pin ?? throw TokenErrors.PinRequired(Name, keyId);
    }

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
                try
                {
                    _admin.Login(CKU.CKU_USER, pin.UnsafeArray);
                }
                catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
                {
                    // Another token object on the same module logged in: login state is per application.
                }
                catch (Pkcs11Exception e)
                {
                    throw Pkcs11Errors.ToError(e, Name, "C_Login", RetriesFrom(TokenInfo()));
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

        var state = Admin(session => session.GetSessionInfo().State, "C_GetSessionInfo");
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
            catch (Pkcs11Exception)
            {
                // Not logged in, or the token left: either way nobody is logged in now.
            }
        }

        _loggedIn = false;
        _keys.Clear();
    }

    private ITokenInfo TokenInfo()
    {
        try
        {
            return _slot.GetTokenInfo();
        }
        catch (Pkcs11Exception e)
        {
            throw Pkcs11Errors.ToError(e, Name, "C_GetTokenInfo");
        }
    }

    /// <summary>PKCS#11 has no counter, only flags: locked = 0, final try = 1, otherwise unknown.</summary>
    private static int? RetriesFrom(ITokenInfo info) =>
        info.TokenFlags.UserPinLocked ? 0 : info.TokenFlags.UserPinFinalTry ? 1 : null;

    private T Admin<T>(Func<ISession, T> action, string operation)
    {
        lock (_adminGate)
        {
            try
            {
                return action(_admin);
            }
            catch (Pkcs11Exception e)
            {
                var error = Pkcs11Errors.ToError(e, Name, operation);
                if (error is TokenRemovedException)
                {
                    _keys.Clear();
                    _loggedIn = false;
                }

                throw error;
            }
        }
    }

    private IObjectAttribute Attribute(CKA type, object value) => value switch
    {
        bool flag => _admin.Factories.ObjectAttributeFactory.Create(type, flag),
        ulong number => _admin.Factories.ObjectAttributeFactory.Create(type, number),
        CKO kind => _admin.Factories.ObjectAttributeFactory.Create(type, kind),
        string text => _admin.Factories.ObjectAttributeFactory.Create(type, text),
        byte[] bytes => _admin.Factories.ObjectAttributeFactory.Create(type, bytes),
        _ => throw new ArgumentException($"unsupported attribute value {value.GetType()}", nameof(value)),
    };

    private sealed record KeyEntry(TokenKey Info, ulong? PrivateHandle, bool IsPrivate, bool AlwaysAuthenticate);
}
