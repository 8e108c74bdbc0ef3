using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.HomeserverSim.Api;

/// <summary>
/// <c>POST /keys/upload</c>, for a client's own device: its <c>device_keys</c> (which must name the requester and the
/// token's device, and carry a valid self-signature) are stored; one-time and fallback keys are counted, not served.
/// </summary>
internal static class KeysUploadApi
{
    public static Answer Upload(SimState state, string requester, string device, JsonObject body, Dictionary<(string, string), Dictionary<string, int>> oneTimeKeyCounts)
    {
        if (body["device_keys"] is JsonObject keys)
        {
            if (keys.GetString("user_id") != requester || keys.GetString("device_id") != device)
            {
                return MatrixError.Of(400, "M_BAD_JSON", "Provided `user_id` and `device_id` fields in `device_keys` must match those of the requesting user/device");
            }

            var keyId = "ed25519:" + device;
            if (keys.GetObject("keys")?.GetString(keyId) is not { } text
                || !Ed25519PublicKey.TryFromBase64(text, out var key, out _)
                || !SignedJson.Verify(keys, requester, keyId, key!).IsValid)
            {
                // Synapse stores device keys without checking; the simulator refuses what no client would trust anyway.
                return MatrixError.Of(400, "M_INVALID_SIGNATURE", "device_keys are not signed by the device's own ed25519 key");
            }

            state.Keys.SetDevice(keys);
        }

        var counts = oneTimeKeyCounts.TryGetValue((requester, device), out var c) ? c : oneTimeKeyCounts[(requester, device)] = new(StringComparer.Ordinal);
        foreach (var id in body.GetObject("one_time_keys")?.PropertyNames ?? [])
        {
            var algorithm = id.Split(':', 2)[0];
            counts[algorithm] = counts.GetValueOrDefault(algorithm) + 1;
        }

        return Answer.Ok(JsonObject.Of(("one_time_key_counts", new JsonObject(counts.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => new KeyValuePair<string, JsonValue>(k.Key, (long)k.Value))))));
    }
}
