using KeyCustody.Matrix;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Cli.Publishing;

/// <summary>
/// Checks a <c>/keys/device_signing/upload</c> body before it is sent, the way the homeserver will
/// (matrix-signing.md §3.3): only the three key members, each a valid key of its usage for one user, and the
/// self-signing and user-signing keys signed by the master key when the body has one (without one, only the
/// homeserver knows the current master key and checks against it).
/// </summary>
internal static class UploadBody
{
    public static readonly (string Member, KeyUsage Usage)[] Members = KeyUsageNames.All.Select(u => (u.UploadMember(), u)).ToArray();

    /// <summary>The user whose keys these are, and the keys by member name; throws <see cref="UsageException"/> saying what is wrong.</summary>
    public static (string UserId, IReadOnlyList<(string Member, CrossSigningKey Key)> Keys) Check(JsonObject body)
    {
        if (body.ContainsKey("auth"))
        {
            throw new UsageException("the upload body must not contain auth: keycustody answers the homeserver's authentication itself");
        }

        foreach (var name in body.PropertyNames)
        {
            if (!Members.Any(m => m.Member == name))
            {
                throw new UsageException($"the upload body has an unexpected member '{name}' (expected master_key, self_signing_key, user_signing_key)");
            }
        }

        var keys = new List<(string Member, CrossSigningKey Key)>();
        try
        {
            foreach (var (member, usage) in Members)
            {
                if (body[member] is { } value)
                {
                    keys.Add((member, CrossSigningKey.Parse(value, usage)));
                }
            }

            if (keys.Count == 0)
            {
                throw new UsageException("the upload body has none of master_key, self_signing_key, user_signing_key");
            }

            CrossSigningKey? Get(string member) => keys.FirstOrDefault(k => k.Member == member).Key;
            if (Get("master_key") is { } master)
            {
                DeviceSigningUpload.Build(master, Get("self_signing_key"), Get("user_signing_key"));
            }
            else if (keys.Select(k => k.Key.UserId).Distinct().Count() > 1)
            {
                throw new UsageException("the upload body's keys belong to different users");
            }
        }
        catch (MatrixFormatException e)
        {
            throw new UsageException("the upload body: " + e.Message);
        }

        return (keys[0].Key.UserId, keys);
    }
}
