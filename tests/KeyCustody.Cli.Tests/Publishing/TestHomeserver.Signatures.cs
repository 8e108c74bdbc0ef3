using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary>
/// <c>/keys/signatures/upload</c> as Synapse does it (matrix-signing.md §3.4). Own devices: the self-signing
/// key's signature must be there and verify, and the object minus signatures and unsigned must equal the stored
/// device ("Key does not match"). Own master key: every signature under the user is taken for a device
/// signature. Other users: only their current master key, signed by the uploader's user-signing key. A 200 with
/// a <c>failures</c> map, Synapse-style or spec-style.
/// </summary>
internal sealed partial class TestHomeserver
{
    private (int, JsonObject) SignaturesUpload(string user, JsonObject body)
    {
        if (body.Any(u => u.Value is not JsonObject byKey || byKey.Any(k => k.Value is not JsonObject)))
        {
            return Error(400, "M_INVALID_PARAM", "Invalid parameter");
        }

        var failures = new Dictionary<string, Dictionary<string, JsonObject>>(StringComparer.Ordinal);
        void Fail(string target, string key, int status, string? errcode, string error) =>
            (failures.TryGetValue(target, out var f) ? f : failures[target] = new(StringComparer.Ordinal))[key] = Failure(status, errcode, error);

        foreach (var (target, entries) in body.Select(u => (u.Key, (JsonObject)u.Value)))
        {
            foreach (var (key, obj) in entries.Select(e => (e.Key, (JsonObject)e.Value)))
            {
                if (Check(user, target, key, obj, entries) is { } problem)
                {
                    Fail(target, key, problem.Status, problem.ErrCode, problem.Error);
                }
            }
        }

        return (200, JsonObject.Of(("failures", new JsonObject(failures.Select(f =>
            new KeyValuePair<string, JsonValue>(f.Key, new JsonObject(f.Value.Select(k => new KeyValuePair<string, JsonValue>(k.Key, k.Value)))))))));
    }

    /// <summary>Null when the signature is stored (or was already); otherwise why not.</summary>
    private (int Status, string? ErrCode, string Error)? Check(string user, string target, string key, JsonObject obj, JsonObject entries)
    {
        var invalid = (400, (string?)"M_INVALID_SIGNATURE", "Invalid signature");
        var unknown = (404, (string?)"M_NOT_FOUND", "Unknown device");
        if (target == user)
        {
            if (Key(user, "master") is not { } master || Key(user, "self_signing") is not { } ssk)
            {
                return (404, "M_NOT_FOUND", "No cross-signing keys found");
            }

            if (obj.GetObject("signatures")?.GetObject(user) is not { } mine)
            {
                return invalid;
            }

            if (key == master.Key.Base64)
            {
                // Own master key: every signature is a device's.
                foreach (var keyId in mine.PropertyNames)
                {
                    var device = _devices.GetValueOrDefault((user, keyId.Split(':', 2)[^1]));
                    if (device?.GetObject("keys")?.GetString(keyId) is not { } deviceKey
                        || !Stripped(obj).Equals(Stripped(master.Json))
                        || !SignedJson.Verify(obj, user, keyId, Ed25519PublicKey.FromBase64(deviceKey)).IsValid)
                    {
                        return invalid;
                    }
                }

                Store((user, "master"), obj, user, mine.PropertyNames);
                return null;
            }

            if (!mine.ContainsKey(ssk.Key.KeyId))
            {
                return invalid;
            }

            if (!_devices.TryGetValue((user, key), out var stored))
            {
                return unknown;
            }

            if (stored.GetObject("signatures")?.GetObject(user)?.ContainsKey(ssk.Key.KeyId) == true)
            {
                return null;
            }

            if (!Stripped(obj).Equals(Stripped(stored)))
            {
                return (400, null, "Key does not match");
            }

            if (!SignedJson.Verify(obj, user, ssk.Key.KeyId, ssk.Key).IsValid)
            {
                return invalid;
            }

            _devices[(user, key)] = Merge(stored, obj, user, [ssk.Key.KeyId]);
            return null;
        }

        if (Key(user, "user_signing") is not { } usk)
        {
            return (404, "M_NOT_FOUND", "No user-signing key found");
        }

        if (Key(target, "master") is not { } theirs || key != theirs.Key.Base64 || !entries.ContainsKey(theirs.Key.Base64))
        {
            return unknown;
        }

        if (theirs.Json.GetObject("signatures")?.GetObject(user)?.ContainsKey(usk.Key.KeyId) == true)
        {
            return null;
        }

        if (!Stripped(obj).Equals(Stripped(theirs.Json)))
        {
            return (400, null, "Key does not match");
        }

        if (obj.GetObject("signatures")?.GetObject(user)?.ContainsKey(usk.Key.KeyId) != true
            || !SignedJson.Verify(obj, user, usk.Key.KeyId, usk.Key).IsValid)
        {
            return invalid;
        }

        Store((target, "master"), obj, user, [usk.Key.KeyId]);
        return null;
    }

    private (JsonObject Json, Ed25519PublicKey Key)? Key(string user, string usage) =>
        _crossSigning.TryGetValue((user, usage), out var json) ? CheckShape(user, usage, json) : null;

    private void Store((string, string) slot, JsonObject signed, string signer, IEnumerable<string> keyIds) =>
        _crossSigning[slot] = Merge(_crossSigning[slot], signed, signer, keyIds);

    /// <summary>The stored object with the signer's named signatures from <paramref name="signed"/> added.</summary>
    private static JsonObject Merge(JsonObject stored, JsonObject signed, string signer, IEnumerable<string> keyIds)
    {
        var signatures = stored.GetObject("signatures") ?? JsonObject.Empty;
        var bySigner = signatures.GetObject(signer) ?? JsonObject.Empty;
        foreach (var keyId in keyIds)
        {
            bySigner = bySigner.With(keyId, signed.GetObject("signatures")!.GetObject(signer)![keyId]!);
        }

        return stored.With("signatures", signatures.With(signer, bySigner));
    }

    private static JsonObject Stripped(JsonObject obj) => obj.Without("signatures", "unsigned");

    private JsonObject Failure(int status, string? errcode, string error) => SpecStyleFailures
        ? JsonObject.Of(("errcode", errcode ?? "M_UNKNOWN"), ("error", error))
        : JsonObject.Of(("status", status), ("errcode", errcode ?? "M_UNKNOWN"), ("message", $"{status}: {error}"));
}
