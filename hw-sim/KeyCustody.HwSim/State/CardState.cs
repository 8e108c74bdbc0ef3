using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.OpenPgp.State;

namespace KeyCustody.HwSim.State;

/// <summary>
/// What a card keeps across power cycles: identity, PIN, PUK, management key, keys, data objects, device configuration,
/// and the OpenPGP applet's state.
/// <see cref="Dirty"/> tells the card to write the state file after the current command.
/// </summary>
public sealed class CardState : IDisposable
{
    private readonly Dictionary<byte, SlotKey> _keys = [];
    private readonly Dictionary<int, byte[]> _objects = [];

    public CardState(CardIdentity identity, ManagementKeyAlgorithm factoryManagementAlgorithm, Credential pin, Credential puk, ManagementKey managementKey)
        : this(identity, factoryManagementAlgorithm, pin, puk, managementKey, CardProfile.YubiKey57)
    {
    }

    public CardState(CardIdentity identity, ManagementKeyAlgorithm factoryManagementAlgorithm, Credential pin, Credential puk, ManagementKey managementKey, CardProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Profile = profile;
        OpenPgp = new OpenPgpState(profile.OpenPgp);
        Identity = identity;
        FactoryManagementAlgorithm = factoryManagementAlgorithm;
        Pin = pin;
        Puk = puk;
        ManagementKey = managementKey;
    }

    public CardIdentity Identity { get; }

    /// <summary>Which device this is (firmware, applets, OpenPGP behaviour).</summary>
    public CardProfile Profile { get; }

    public OpenPgpState OpenPgp { get; }

    /// <summary>The management key algorithm after RESET (AES-192 on 5.7; 3DES when emulating an older-style card).</summary>
    public ManagementKeyAlgorithm FactoryManagementAlgorithm { get; }

    public Credential Pin { get; }
    public Credential Puk { get; }
    public ManagementKey ManagementKey { get; }

    /// <summary>The management applet's configuration (enabled applications, lock code).</summary>
    public DeviceConfig Device { get; } = new();

    public bool Dirty { get; set; }

    public IReadOnlyDictionary<byte, SlotKey> Keys => _keys;
    public IReadOnlyDictionary<int, byte[]> Objects => _objects;

    public SlotKey? KeyIn(byte slot) => _keys.GetValueOrDefault(slot);

    /// <summary>Puts a key into a slot, disposing (zeroing) any key it replaces.</summary>
    public void SetKey(byte slot, SlotKey key)
    {
        if (_keys.TryGetValue(slot, out var old) && !ReferenceEquals(old, key))
        {
            old.Dispose();
        }

        _keys[slot] = key;
        Dirty = true;
    }

    /// <summary>Takes a key out of a slot without disposing it (MOVE).</summary>
    public SlotKey? TakeKey(byte slot)
    {
        _keys.Remove(slot, out var key);
        Dirty = true;
        return key;
    }

    public void DeleteKey(byte slot)
    {
        if (_keys.Remove(slot, out var key))
        {
            key.Dispose();
        }

        Dirty = true;
    }

    public byte[]? ObjectValue(int id) => _objects.GetValueOrDefault(id);

    public void SetObject(int id, byte[]? value)
    {
        if (value is null || value.Length == 0)
        {
            _objects.Remove(id);
        }
        else
        {
            _objects[id] = value;
        }

        Dirty = true;
    }

    /// <summary>Applet RESET: every user key and object goes, credentials return to factory; F9 and its certificate stay.</summary>
    public void FactoryReset()
    {
        foreach (var slot in _keys.Keys.Where(PivSlots.IsUserKeySlot).ToList())
        {
            DeleteKey(slot);
        }

        foreach (var id in _objects.Keys.Where(id => id != DataObjectIds.AttestationCertificate).ToList())
        {
            _objects.Remove(id);
        }

        Pin.ResetToFactory(Credential.DefaultRetries);
        Puk.ResetToFactory(Credential.DefaultRetries);
        ManagementKey.Replace(FactoryManagementAlgorithm, ManagementKey.DefaultValue, false);
        Dirty = true;
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }

        _keys.Clear();
        Pin.Dispose();
        Puk.Dispose();
        ManagementKey.Dispose();
        Device.Dispose();
        OpenPgp.Dispose();
    }
}
