using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Matrix.CrossSigning;

/// <summary>
/// Builds the body of <c>POST /_matrix/client/v3/keys/signatures/upload</c>: user ID → key
/// identifier → the complete signed object (matrix-signing.md §3.4). Each object is kept as given
/// apart from <c>signatures</c>, which carries only what the uploader is uploading, in the shape
/// Synapse checks: own devices by device ID with the self-signing key's signature; own master key by
/// its public key with device signatures only (never the master key's own self-signature, which
/// Synapse would take for an unknown device); another user's master key by its public key with the
/// uploader's user-signing-key signature. Every signature is verified before it is added.
/// </summary>
public sealed class SignaturesUpload
{
    private readonly string _uploader;
    private readonly SortedDictionary<string, SortedDictionary<string, JsonValue>> _entries = new(StringComparer.Ordinal);

    public SignaturesUpload(string uploaderUserId) => _uploader = MatrixIds.RequireUserId(uploaderUserId, "the uploading user");

    public int Count => _entries.Values.Sum(e => e.Count);

    /// <summary>An own device, signed by the uploader's self-signing key.</summary>
    public SignaturesUpload AddOwnDevice(JsonObject signedDevice, Ed25519PublicKey selfSigningKey)
    {
        var device = DeviceKeys.Parse(signedDevice);
        if (device.UserId != _uploader)
        {
            throw new MatrixFormatException($"device {device.DeviceId} belongs to {device.UserId}; only the uploader's own devices ({_uploader}) are signed with the self-signing key");
        }

        RequireValid(device.VerifySignedBy(selfSigningKey), $"device {device.DeviceId}");
        var kept = KeepSignatures(signedDevice, _uploader, [selfSigningKey.KeyId, device.DeviceKeyId]);
        Add(_uploader, device.DeviceId, kept);
        return this;
    }

    /// <summary>The uploader's own master key, signed by one of the uploader's devices (migration, §3.7).</summary>
    public SignaturesUpload AddOwnMasterKey(JsonObject signedMaster, string deviceId, Ed25519PublicKey deviceKey)
    {
        var master = CrossSigningKey.Parse(signedMaster, KeyUsage.Master);
        if (master.UserId != _uploader)
        {
            throw new MatrixFormatException($"master key {master.PublicKey.Base64} belongs to {master.UserId}, not the uploader {_uploader}");
        }

        var keyId = SignedJson.Ed25519Prefix + deviceId;
        RequireValid(SignedJson.Verify(signedMaster, _uploader, keyId, deviceKey), $"master key {master.PublicKey.Base64}");
        Add(_uploader, master.PublicKey.Base64, KeepSignatures(signedMaster, _uploader, [keyId]));
        return this;
    }

    /// <summary>Another user's master key, signed by the uploader's user-signing key.</summary>
    public SignaturesUpload AddOtherUserMasterKey(JsonObject signedMaster, Ed25519PublicKey userSigningKey)
    {
        var master = CrossSigningKey.Parse(signedMaster, KeyUsage.Master);
        if (master.UserId == _uploader)
        {
            throw new MatrixFormatException("the user-signing key signs other users' master keys, not the uploader's own");
        }

        RequireValid(SignedJson.Verify(signedMaster, _uploader, userSigningKey.KeyId, userSigningKey), $"master key {master.PublicKey.Base64} of {master.UserId}");
        Add(master.UserId, master.PublicKey.Base64, KeepSignatures(signedMaster, _uploader, [userSigningKey.KeyId]));
        return this;
    }

    public JsonObject Build()
    {
        if (_entries.Count == 0)
        {
            throw new MatrixFormatException("the signature upload is empty");
        }

        return new JsonObject(_entries.Select(u => new KeyValuePair<string, JsonValue>(u.Key, new JsonObject(u.Value))));
    }

    private void Add(string userId, string keyIdentifier, JsonObject obj)
    {
        if (!_entries.TryGetValue(userId, out var byKey))
        {
            _entries[userId] = byKey = new SortedDictionary<string, JsonValue>(StringComparer.Ordinal);
        }

        if (!byKey.TryAdd(keyIdentifier, obj))
        {
            throw new MatrixFormatException($"{userId} {keyIdentifier} is already in the upload");
        }
    }

    /// <summary>The object with <c>signatures</c> reduced to <c>{signer: {only the named key ids}}</c>.</summary>
    private static JsonObject KeepSignatures(JsonObject obj, string signer, string[] keyIds)
    {
        var mine = obj.GetObject("signatures")?.GetObject(signer) ?? JsonObject.Empty;
        var kept = mine.Where(kv => keyIds.Contains(kv.Key, StringComparer.Ordinal));
        return obj.With("signatures", JsonObject.Of((signer, new JsonObject(kept))));
    }

    private static void RequireValid(SignatureCheck check, string what)
    {
        if (!check.IsValid)
        {
            throw new MatrixFormatException($"{what}: {check.Reason} (the server would answer M_INVALID_SIGNATURE)");
        }
    }
}
