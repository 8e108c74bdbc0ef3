using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.HomeserverSim.Api;

/// <summary>
/// <c>POST /keys/signatures/upload</c> as Synapse does it (<c>upload_signatures_for_device_keys</c>,
/// <c>_process_self_signatures</c>, <c>_check_master_key_signature</c>, <c>_process_other_signatures</c>,
/// <c>_check_device_signature</c>): always 200 with a <c>failures</c> map of user → key → failure, except for a body
/// that is not a map of maps of objects (400 M_INVALID_PARAM). Own devices: a signature by the current self-signing key
/// that verifies, over an object equal to the stored device apart from signatures and unsigned ("Key does not match");
/// own master key: each signature by one of the user's devices. Other users: only their current master key, signed by
/// the uploader's user-signing key (other entries: 404 Unknown device). A signature already held is skipped.
/// </summary>
internal static class SignaturesUploadApi
{
    private readonly record struct Failure(int Status, string? ErrCode, string Error);

    private static readonly Failure Invalid = new(400, "M_INVALID_SIGNATURE", "Invalid signature");
    private static readonly Failure UnknownDevice = new(404, "M_NOT_FOUND", "Unknown device");
    private static readonly Failure Mismatch = new(400, null, "Key does not match");

    public static Answer Upload(SimState state, string user, JsonObject body)
    {
        if (body.Any(u => u.Value is not JsonObject byKey || byKey.Any(k => k.Value is not JsonObject)))
        {
            return MatrixError.InvalidParam("Invalid parameter");
        }

        var failures = new SortedDictionary<string, SortedDictionary<string, Failure>>(StringComparer.Ordinal);
        void Fail(string target, string key, Failure f) =>
            (failures.TryGetValue(target, out var m) ? m : failures[target] = new(StringComparer.Ordinal))[key] = f;

        foreach (var (target, entries) in body.Select(u => (u.Key, (JsonObject)u.Value)))
        {
            if (target == user)
            {
                Own(state, user, entries, Fail);
            }
            else
            {
                Other(state, user, target, entries, Fail);
            }
        }

        return Answer.Ok(JsonObject.Of(("failures", new JsonObject(failures.Select(f => new KeyValuePair<string, JsonValue>(
            f.Key,
            new JsonObject(f.Value.Select(k => new KeyValuePair<string, JsonValue>(k.Key, MatrixError.Failure(k.Value.Status, k.Value.ErrCode, k.Value.Error, state.SpecStyleFailures))))))))));
    }

    private static void Own(SimState state, string user, JsonObject entries, Action<string, string, Failure> fail)
    {
        var ssk = state.Keys.CrossSigningKey(user, "self_signing", user);
        var master = state.Keys.CrossSigningKey(user, "master", user);
        var missing = ssk is null ? new Failure(404, "M_NOT_FOUND", $"No self_signing key found for {user}")
            : master is null ? new Failure(404, "M_NOT_FOUND", $"No master key found for {user}")
            : !state.Keys.DeviceIds(user).Any() ? new Failure(404, "M_NOT_FOUND", "No device keys found")
            : (Failure?)null;
        if (missing is { } m)
        {
            foreach (var key in entries.PropertyNames)
            {
                fail(user, key, m);
            }

            return;
        }

        foreach (var (id, obj) in entries.Select(e => (e.Key, (JsonObject)e.Value)))
        {
            if (obj.GetObject("signatures")?.GetObject(user) is not { } mine)
            {
                fail(user, id, Invalid);
                continue;
            }

            if (id == master!.Value.Key.Base64)
            {
                if (OwnMaster(state, user, id, obj, mine, master.Value.Json) is { } problem)
                {
                    fail(user, id, problem);
                }

                continue;
            }

            var sskId = ssk!.Value.Key.KeyId;
            if (!mine.ContainsKey(sskId))
            {
                fail(user, id, Invalid);
                continue;
            }

            if (state.Keys.Device(user, id) is not { } stored)
            {
                fail(user, id, UnknownDevice);
                continue;
            }

            if (stored.GetObject("signatures")?.GetObject(user)?.ContainsKey(sskId) == true)
            {
                continue;
            }

            if (Check(obj, stored, user, sskId, ssk.Value.Key) is { } problem2)
            {
                fail(user, id, problem2);
                continue;
            }

            state.Keys.AddSignature(user, user, id, sskId, mine[sskId]!);
        }
    }

    /// <summary>Signatures of the user's master key by their devices: every one must be a device's and verify.</summary>
    private static Failure? OwnMaster(SimState state, string user, string masterId, JsonObject obj, JsonObject mine, JsonObject stored)
    {
        var accepted = new List<string>();
        foreach (var keyId in mine.PropertyNames)
        {
            var device = state.Keys.Device(user, keyId.Split(':', 2)[^1]);
            if (device?.GetObject("keys")?.GetString(keyId) is not { } deviceKey || !Ed25519PublicKey.TryFromBase64(deviceKey, out var key, out _))
            {
                return Invalid;
            }

            if (Check(obj, stored, user, keyId, key!) is { } problem)
            {
                return problem;
            }

            accepted.Add(keyId);
        }

        foreach (var keyId in accepted)
        {
            state.Keys.AddSignature(user, user, masterId, keyId, mine[keyId]!);
        }

        return null;
    }

    private static void Other(SimState state, string user, string target, JsonObject entries, Action<string, string, Failure> fail)
    {
        if (state.Keys.CrossSigningKey(user, "user_signing", user) is not { } usk)
        {
            foreach (var key in entries.PropertyNames)
            {
                fail(target, key, new Failure(404, "M_NOT_FOUND", $"No user_signing key found for {user}"));
            }

            return;
        }

        if (state.Keys.CrossSigningKey(target, "master", user) is not { } theirs)
        {
            foreach (var key in entries.PropertyNames)
            {
                fail(target, key, new Failure(404, "M_NOT_FOUND", $"No master key found for {target}"));
            }

            return;
        }

        var id = theirs.Key.Base64;
        if (!entries.ContainsKey(id))
        {
            foreach (var key in entries.PropertyNames)
            {
                fail(target, key, UnknownDevice);
            }

            return;
        }

        foreach (var other in entries.PropertyNames.Where(k => k != id))
        {
            fail(target, other, UnknownDevice);
        }

        if (theirs.Json.GetObject("signatures")?.GetObject(user)?.ContainsKey(usk.Key.KeyId) == true)
        {
            return;
        }

        var obj = (JsonObject)entries[id]!;
        if (Check(obj, theirs.Json, user, usk.Key.KeyId, usk.Key) is { } problem)
        {
            fail(target, id, problem);
            return;
        }

        state.Keys.AddSignature(user, target, id, usk.Key.KeyId, obj.GetObject("signatures")!.GetObject(user)![usk.Key.KeyId]!);
    }

    /// <summary><c>_check_device_signature</c>: the object must equal the stored one apart from signatures and unsigned, and the signature verify.</summary>
    private static Failure? Check(JsonObject uploaded, JsonObject stored, string user, string keyId, Ed25519PublicKey key)
    {
        if (!Shape.Stripped(uploaded).Equals(Shape.Stripped(stored)))
        {
            return Mismatch;
        }

        return SignedJson.Verify(uploaded, user, keyId, key).IsValid ? null : Invalid;
    }
}
