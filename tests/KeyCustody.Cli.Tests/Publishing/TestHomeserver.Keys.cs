using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary>
/// Stored keys and <c>/keys/device_signing/upload</c> as Synapse does it: UIA unless there is no stored master
/// key or every supplied key equals its stored copy in full (then 200 and nothing changes); each key checked
/// for owner, usage and exactly one key (M_INVALID_PARAM); the self-signing and user-signing keys verified
/// against the master key of the request or the stored one (M_INVALID_SIGNATURE, M_MISSING_PARAM); a public
/// key equal to a device ID refused (M_FORBIDDEN).
/// </summary>
internal sealed partial class TestHomeserver
{
    private static readonly (string Member, string Usage)[] KeyMembers =
        [("master_key", "master"), ("self_signing_key", "self_signing"), ("user_signing_key", "user_signing")];

    private readonly Dictionary<(string User, string Usage), JsonObject> _crossSigning = [];
    private readonly Dictionary<(string User, string Device), JsonObject> _devices = [];

    /// <summary>Registers a device as the device itself would have uploaded it (self-signed).</summary>
    public void AddDevice(JsonObject deviceKeys)
    {
        lock (_gate)
        {
            _devices[(deviceKeys.GetString("user_id")!, deviceKeys.GetString("device_id")!)] = deviceKeys;
        }
    }

    /// <summary>Stores a cross-signing key as if it had been uploaded before ("master", "self_signing", "user_signing").</summary>
    public void SetCrossSigningKey(string userId, string usage, JsonObject key)
    {
        lock (_gate)
        {
            _crossSigning[(userId, usage)] = key;
        }
    }

    public JsonObject? CrossSigningKey(string userId, string usage)
    {
        lock (_gate)
        {
            return _crossSigning.GetValueOrDefault((userId, usage));
        }
    }

    public JsonObject? Device(string userId, string deviceId)
    {
        lock (_gate)
        {
            return _devices.GetValueOrDefault((userId, deviceId));
        }
    }

    private (int, JsonObject) DeviceSigningUpload(string user, JsonObject body)
    {
        var supplied = KeyMembers.Where(m => body.ContainsKey(m.Member)).Select(m => (m.Usage, Value: body[m.Member]!)).ToList();
        if (_crossSigning.ContainsKey((user, "master")))
        {
            if (supplied.All(k => _crossSigning.GetValueOrDefault((user, k.Usage)) is { } stored && stored.Equals(k.Value)))
            {
                return (200, JsonObject.Empty);
            }

            if (Authenticate(user, body) is { } challenge)
            {
                return challenge;
            }
        }

        var keys = new Dictionary<string, (JsonObject Json, Ed25519PublicKey Key)>(StringComparer.Ordinal);
        foreach (var (usage, value) in supplied)
        {
            if (CheckShape(user, usage, value) is not { } parsed)
            {
                return Error(400, "M_INVALID_PARAM", $"Invalid {usage} key");
            }

            keys[usage] = parsed;
        }

        foreach (var usage in new[] { "self_signing", "user_signing" }.Where(keys.ContainsKey))
        {
            var master = keys.TryGetValue("master", out var m) ? m.Key : _crossSigning.TryGetValue((user, "master"), out var stored) ? CheckShape(user, "master", stored)!.Value.Key : null;
            if (master is null)
            {
                return Error(400, "M_MISSING_PARAM", "No master key available to verify signature.");
            }

            if (!SignedJson.Verify(keys[usage].Json, user, master.KeyId, master).IsValid)
            {
                return Error(400, "M_INVALID_SIGNATURE", "Invalid signature");
            }
        }

        if (keys.Values.Any(k => _devices.ContainsKey((user, k.Key.Base64))))
        {
            return Error(403, "M_FORBIDDEN", "Key ID in use");
        }

        foreach (var (usage, key) in keys)
        {
            _crossSigning[(user, usage)] = key.Json;
        }

        return (200, JsonObject.Empty);
    }

    /// <summary>Synapse's shape check: an object, owned by the uploader, the usage among its usages, exactly one key.</summary>
    private static (JsonObject Json, Ed25519PublicKey Key)? CheckShape(string user, string usage, JsonValue value)
    {
        if (value is not JsonObject obj
            || obj.GetString("user_id") != user
            || obj.GetArray("usage") is not { } usages
            || !usages.Any(u => u is JsonString s && s.Value == usage)
            || obj.GetObject("keys") is not { Count: 1 } keys
            || keys.First().Value is not JsonString keyText
            || !Ed25519PublicKey.TryFromBase64(keyText.Value, out var key, out _))
        {
            return null;
        }

        return (obj, key!);
    }
}
