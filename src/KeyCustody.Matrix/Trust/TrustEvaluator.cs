using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Matrix.Trust;

/// <summary>
/// The MSC1756 trust rule (matrix-signing.md §3.6) over a <c>/keys/query</c> response. The viewer
/// trusts a master key; from it, the viewer's own devices are trusted when master → self-signing →
/// device all verify, and another user's devices when the viewer's master → user-signing → their
/// master → their self-signing → device all verify. Also refused: user_id mismatches anywhere, a
/// published own master key that differs from the pinned one, devices without a valid self-signature,
/// and users with a device ID equal to one of their cross-signing keys.
/// </summary>
public static class TrustEvaluator
{
    public static IReadOnlyList<DeviceTrust> Evaluate(JsonObject keysQueryResponse, string viewerUserId, Ed25519PublicKey trustedMasterKey)
    {
        ArgumentNullException.ThrowIfNull(keysQueryResponse);
        ArgumentNullException.ThrowIfNull(trustedMasterKey);
        MatrixIds.RequireUserId(viewerUserId, "the viewing user");

        var devices = Section(keysQueryResponse, "device_keys");
        var masters = Section(keysQueryResponse, KeyUsage.Master.QuerySection());
        var selfSigning = Section(keysQueryResponse, KeyUsage.SelfSigning.QuerySection());
        var userSigning = Section(keysQueryResponse, KeyUsage.UserSigning.QuerySection());

        var (ownMaster, ownMasterFailure) = CheckOwnMaster(masters, viewerUserId, trustedMasterKey);
        var ownUserSigning = new Lazy<(CrossSigningKey?, TrustFailure?)>(() => CheckOwnUserSigning(userSigning, viewerUserId, ownMaster!));

        var verdicts = new List<DeviceTrust>();
        foreach (var (userId, userDevicesValue) in devices.OrderBy(u => u.Key, StringComparer.Ordinal))
        {
            if (userDevicesValue is not JsonObject userDevices)
            {
                throw new MatrixFormatException($"device_keys[{userId}] must be an object");
            }

            TrustFailure? userFailure = ownMasterFailure;
            CrossSigningKey? master = null;
            if (userFailure is null && userId != viewerUserId)
            {
                (var usk, userFailure) = ownUserSigning.Value;
                if (userFailure is null)
                {
                    (master, userFailure) = CheckOtherMaster(masters, userId, viewerUserId, usk!);
                }
            }
            else if (userFailure is null)
            {
                master = ownMaster;
            }

            CrossSigningKey? ssk = null;
            if (userFailure is null)
            {
                (ssk, userFailure) = CheckSelfSigning(selfSigning, userId, master!);
            }

            userFailure ??= CheckCollisions(userId, userDevices, masters, selfSigning, userSigning);

            foreach (var (deviceId, deviceValue) in userDevices.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                var failure = userFailure ?? CheckDevice(userId, deviceId, deviceValue, ssk!);
                verdicts.Add(new DeviceTrust(userId, deviceId, failure));
            }
        }

        return verdicts;
    }

    private static JsonObject Section(JsonObject response, string name) => response[name] switch
    {
        null => JsonObject.Empty,
        JsonObject o => o,
        _ => throw new MatrixFormatException($"{name} in the /keys/query response must be an object"),
    };

    private static (CrossSigningKey?, TrustFailure?) CheckOwnMaster(JsonObject masters, string viewer, Ed25519PublicKey pinned)
    {
        var (key, failure) = ReadKey(masters, viewer, KeyUsage.Master, TrustLink.OwnMasterKey, "your master key");
        if (failure is not null)
        {
            return (null, failure);
        }

        if (!key!.PublicKey.Equals(pinned))
        {
            return (null, new TrustFailure(TrustLink.OwnMasterKey, TrustProblem.PinMismatch,
                $"your published master key {key.PublicKey.Base64} differs from the one you trust ({pinned.Base64}): your identity has changed or the server is lying"));
        }

        return (key, null);
    }

    private static (CrossSigningKey?, TrustFailure?) CheckOwnUserSigning(JsonObject userSigning, string viewer, CrossSigningKey ownMaster)
    {
        var (key, failure) = ReadKey(userSigning, viewer, KeyUsage.UserSigning, TrustLink.OwnUserSigningKey, "your user-signing key");
        if (failure is not null)
        {
            return (null, failure);
        }

        failure = SignatureFailure(key!.VerifySignedBy(viewer, ownMaster.PublicKey), TrustLink.OwnUserSigningKey, $"your user-signing key {key.PublicKey.Base64} is not signed by your master key");
        return failure is null ? (key, null) : (null, failure);
    }

    private static (CrossSigningKey?, TrustFailure?) CheckOtherMaster(JsonObject masters, string userId, string viewer, CrossSigningKey viewerUserSigning)
    {
        var (key, failure) = ReadKey(masters, userId, KeyUsage.Master, TrustLink.MasterKey, $"the master key of {userId}");
        if (failure is not null)
        {
            return (null, failure);
        }

        failure = SignatureFailure(key!.VerifySignedBy(viewer, viewerUserSigning.PublicKey), TrustLink.MasterKey,
            $"the master key {key.PublicKey.Base64} of {userId} is not signed by your user-signing key (you have not verified {userId})");
        return failure is null ? (key, null) : (null, failure);
    }

    private static (CrossSigningKey?, TrustFailure?) CheckSelfSigning(JsonObject selfSigning, string userId, CrossSigningKey master)
    {
        var (key, failure) = ReadKey(selfSigning, userId, KeyUsage.SelfSigning, TrustLink.SelfSigningKey, $"the self-signing key of {userId}");
        if (failure is not null)
        {
            return (null, failure);
        }

        failure = SignatureFailure(key!.VerifySignedBy(userId, master.PublicKey), TrustLink.SelfSigningKey,
            $"the self-signing key {key.PublicKey.Base64} of {userId} is not signed by their master key {master.PublicKey.Base64}");
        return failure is null ? (key, null) : (null, failure);
    }

    private static TrustFailure? CheckCollisions(string userId, JsonObject userDevices, params JsonObject[] keySections)
    {
        foreach (var section in keySections)
        {
            if (CrossSigningKey.TryParse(section[userId] ?? JsonNull.Instance, out var key, out _) && userDevices.ContainsKey(key!.PublicKey.Base64))
            {
                return new TrustFailure(TrustLink.Device, TrustProblem.DeviceIdCollision,
                    $"{userId} has a device whose ID {key.PublicKey.Base64} equals their {key.Usage.Describe()}; such a user must not be verified");
            }
        }

        return null;
    }

    private static TrustFailure? CheckDevice(string userId, string deviceId, JsonValue value, CrossSigningKey selfSigning)
    {
        if (!DeviceKeys.TryParse(value, out var device, out var error))
        {
            return new TrustFailure(TrustLink.Device, TrustProblem.Malformed, $"device {deviceId} of {userId} is malformed: {error}");
        }

        if (device!.UserId != userId || device.DeviceId != deviceId)
        {
            return new TrustFailure(TrustLink.Device, TrustProblem.UserIdMismatch,
                $"device listed as {deviceId} of {userId} says it is {device.DeviceId} of {device.UserId}");
        }

        return SignatureFailure(device.VerifySelfSignature(), TrustLink.Device, $"device {deviceId} of {userId} is not signed by its own device key")
            ?? SignatureFailure(device.VerifySignedBy(selfSigning.PublicKey), TrustLink.Device,
                $"device {deviceId} of {userId} is not signed by their self-signing key {selfSigning.PublicKey.Base64}");
    }

    private static (CrossSigningKey?, TrustFailure?) ReadKey(JsonObject section, string userId, KeyUsage usage, TrustLink link, string what)
    {
        var value = section[userId];
        if (value is null)
        {
            return (null, new TrustFailure(link, TrustProblem.Missing, $"{what} is missing from the response"));
        }

        if (!CrossSigningKey.TryParse(value, out var key, out var error))
        {
            return (null, new TrustFailure(link, TrustProblem.Malformed, $"{what} is malformed: {error}"));
        }

        if (key!.Usage != usage)
        {
            return (null, new TrustFailure(link, TrustProblem.Malformed, $"{what} has usage {key.Usage.ToJson()}, not {usage.ToJson()}"));
        }

        if (key.UserId != userId)
        {
            return (null, new TrustFailure(link, TrustProblem.UserIdMismatch, $"{what} is listed for {userId} but its user_id is {key.UserId}"));
        }

        return (key, null);
    }

    private static TrustFailure? SignatureFailure(SignatureCheck check, TrustLink link, string message)
    {
        if (check.IsValid)
        {
            return null;
        }

        var problem = check.Status is SignatureStatus.NoSignatures or SignatureStatus.NoSignatureFromEntity or SignatureStatus.NoSignatureForKey
            ? TrustProblem.SignatureMissing
            : TrustProblem.SignatureInvalid;
        return new TrustFailure(link, problem, $"{message} ({check.Reason})");
    }
}
