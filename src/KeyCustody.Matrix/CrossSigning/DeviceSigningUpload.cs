using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Matrix.CrossSigning;

/// <summary>
/// Builds the body of <c>POST /_matrix/client/v3/keys/device_signing/upload</c> (spec; Synapse's
/// checks in matrix-signing.md §3.3). Everything the server would refuse is refused here first: keys
/// of the wrong usage, keys of different users, and self-signing or user-signing keys that are not
/// signed by the master key of the same request (or, without one, by the given current master key).
/// </summary>
public static class DeviceSigningUpload
{
    public static JsonObject Build(
        CrossSigningKey? master,
        CrossSigningKey? selfSigning,
        CrossSigningKey? userSigning,
        Ed25519PublicKey? currentMasterKey = null,
        JsonObject? auth = null)
    {
        if (master is null && selfSigning is null && userSigning is null)
        {
            throw new MatrixFormatException("the upload needs at least one cross-signing key");
        }

        RequireUsage(master, KeyUsage.Master);
        RequireUsage(selfSigning, KeyUsage.SelfSigning);
        RequireUsage(userSigning, KeyUsage.UserSigning);

        var userId = (master ?? selfSigning ?? userSigning)!.UserId;
        foreach (var key in new[] { master, selfSigning, userSigning })
        {
            if (key is not null && key.UserId != userId)
            {
                throw new MatrixFormatException($"all keys must belong to one user: {key.Usage.Describe()} is for {key.UserId}, not {userId}");
            }
        }

        var masterKey = master?.PublicKey ?? currentMasterKey;
        foreach (var key in new[] { selfSigning, userSigning })
        {
            if (key is null)
            {
                continue;
            }

            if (masterKey is null)
            {
                throw new MatrixFormatException($"the {key.Usage.Describe()} must be checked against a master key: include the master key or give the current one (the server answers M_MISSING_PARAM otherwise)");
            }

            var check = key.VerifySignedBy(userId, masterKey);
            if (!check.IsValid)
            {
                throw new MatrixFormatException($"the {key.Usage.Describe()} is not signed by master key {masterKey.Base64} (the server answers M_INVALID_SIGNATURE): {check.Reason}");
            }

            if (key.PublicKey.Equals(masterKey))
            {
                throw new MatrixFormatException($"the {key.Usage.Describe()} must differ from the master key");
            }
        }

        var members = new List<(string, JsonValue)>();
        if (master is not null)
        {
            members.Add((KeyUsage.Master.UploadMember(), master.Json));
        }

        if (selfSigning is not null)
        {
            members.Add((KeyUsage.SelfSigning.UploadMember(), selfSigning.Json));
        }

        if (userSigning is not null)
        {
            members.Add((KeyUsage.UserSigning.UploadMember(), userSigning.Json));
        }

        if (auth is not null)
        {
            members.Add(("auth", auth));
        }

        return JsonObject.Of([.. members]);
    }

    private static void RequireUsage(CrossSigningKey? key, KeyUsage usage)
    {
        if (key is not null && key.Usage != usage)
        {
            throw new MatrixFormatException($"expected a {usage.Describe()}, got a {key.Usage.Describe()}");
        }
    }
}
