using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Signing;

/// <summary>
/// The signed cross-signing key objects the daemon's master keys have produced, kept in the state
/// directory so GetPublicKeys can hand out a ready /keys/device_signing/upload body. Only objects
/// signed here, by a configured master key, over configured keys, are kept.
/// </summary>
public sealed class IdentityStore(string stateDirectory)
{
    private readonly Lock _lock = new();
    private readonly string _dir = Path.Combine(stateDirectory, "identities");

    /// <summary>
    /// Keeps what GetPublicKeys would publish as it is: a master key's signature over its owner's key object for a role,
    /// naming a key configured for that role (<paramref name="known"/>), with nothing but the spec's members. The policy
    /// allows nothing else; this is the second lock on the identity the daemon hands out.
    /// </summary>
    public void RememberSigned(string owner, IEnumerable<JsonObject> signed, Matrix.Policy.KnownIdentity known)
    {
        ArgumentNullException.ThrowIfNull(signed);
        ArgumentNullException.ThrowIfNull(known);
        foreach (var obj in signed)
        {
            if (CrossSigningKey.TryParse(obj, out var csk, out _) && csk!.UserId == owner && csk.ExtraMembers.Count == 0 && known.Of(csk.Usage).Contains(csk.PublicKey))
            {
                Remember(csk);
            }
        }
    }

    public void Remember(CrossSigningKey signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        lock (_lock)
        {
            var current = Load(signed.UserId);
            var updated = current.With(Member(signed.Usage), signed.Json);
            Directory.CreateDirectory(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var path = FileFor(signed.UserId);
            var tmp = path + ".tmp";
            using (var f = new FileStream(tmp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                f.Write(CanonicalJson.Encode(updated));
                f.Flush(flushToDisk: true);
            }

            File.Move(tmp, path, overwrite: true);
        }
    }

    /// <summary>The stored signed object of a usage, or null.</summary>
    public CrossSigningKey? Get(string userId, KeyUsage usage)
    {
        lock (_lock)
        {
            var value = Load(userId)[Member(usage)];
            return value is not null && CrossSigningKey.TryParse(value, out var key, out _) ? key : null;
        }
    }

    private JsonObject Load(string userId)
    {
        var path = FileFor(userId);
        return File.Exists(path) ? CanonicalJson.ParseObject(File.ReadAllBytes(path)) : JsonObject.Empty;
    }

    private string FileFor(string userId) =>
        Path.Combine(_dir, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(userId)))[..32] + ".json");

    private static string Member(KeyUsage usage) => usage.UploadMember();
}
