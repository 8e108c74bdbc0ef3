using KeyCustody.HomeserverSim.State;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.HomeserverSim.Api;

/// <summary>
/// <c>POST /keys/device_signing/upload</c> as Synapse does it (<c>SigningKeyUploadServlet</c>,
/// <c>upload_signing_keys_for_user</c>): no UIA for a first upload or when every supplied key equals its stored copy in
/// full (<c>has_different_keys</c>: then 200 and nothing changes); each key checked for owner, usage and exactly one key
/// (400 M_INVALID_PARAM "Invalid {type} key"); the self-signing and user-signing keys verified against the master key of
/// the request or the stored one (400 M_INVALID_SIGNATURE "Invalid signature on {type} key", 400 M_MISSING_PARAM
/// "No master key available"); a public key equal to one of the user's device IDs refused (403 M_FORBIDDEN).
/// </summary>
internal static class DeviceSigningUploadApi
{
    private static readonly (string Member, string Usage)[] Members =
        [("master_key", "master"), ("self_signing_key", "self_signing"), ("user_signing_key", "user_signing")];

    private static readonly string[] SignedByMaster = ["self_signing", "user_signing"];

    public static Answer Upload(SimState state, string user, JsonObject body)
    {
        var supplied = Members.Where(m => body.ContainsKey(m.Member)).Select(m => (m.Usage, Value: body[m.Member]!)).ToList();
        if (state.Keys.StoredCrossSigningKey(user, "master") is not null)
        {
            if (supplied.All(k => state.Keys.StoredCrossSigningKey(user, k.Usage) is { } stored && stored.Equals(k.Value)))
            {
                return Answer.Ok();
            }

            if (state.Uia.Authenticate(user, body, state.Accounts) is { } challenge)
            {
                return challenge;
            }
        }

        var keys = new Dictionary<string, (JsonObject Json, Ed25519PublicKey Key)>(StringComparer.Ordinal);
        foreach (var (usage, value) in supplied)
        {
            if (Shape.CrossSigningKey(user, usage, value) is not { } key)
            {
                return MatrixError.InvalidParam($"Invalid {usage} key");
            }

            keys[usage] = ((JsonObject)value, key);
        }

        var master = keys.TryGetValue("master", out var m) ? m.Key : state.Keys.CrossSigningKey(user, "master", null)?.Key;
        foreach (var usage in SignedByMaster.Where(keys.ContainsKey))
        {
            if (master is null)
            {
                return MatrixError.Of(400, "M_MISSING_PARAM", "No master key available");
            }

            if (!SignedJson.Verify(keys[usage].Json, user, master.KeyId, master).IsValid)
            {
                return MatrixError.Of(400, "M_INVALID_SIGNATURE", $"Invalid signature on {usage} key");
            }
        }

        if (keys.Values.Any(k => state.Keys.HasDevice(user, k.Key.Base64)))
        {
            return MatrixError.Forbidden("Key ID in use");
        }

        foreach (var (usage, key) in keys)
        {
            state.Keys.SetCrossSigningKey(user, usage, key.Json);
        }

        return Answer.Ok();
    }
}
