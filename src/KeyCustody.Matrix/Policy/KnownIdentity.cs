using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Matrix.Policy;

/// <summary>
/// What the caller of the policy knows of a key owner's cross-signing identity: the public keys it holds for each
/// usage (a daemon: the keys configured for that user, backups included). Given as data, so the policy stays pure.
/// </summary>
public sealed class KnownIdentity
{
    // Filled only by With, on a copy no one else has seen yet: an identity is never changed once returned.
    private readonly Dictionary<KeyUsage, List<Ed25519PublicKey>> _keys = [];
    private (KeyUsage Usage, Ed25519PublicKey PublicKey)[]? _all;

    /// <summary>Nothing is known: a master key then signs no self-signing or user-signing key object.</summary>
    public static KnownIdentity None { get; } = new();

    /// <summary>A new identity with <paramref name="publicKey"/> added for <paramref name="usage"/>.</summary>
    public KnownIdentity With(KeyUsage usage, Ed25519PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var copy = new KnownIdentity();
        foreach (var (u, list) in _keys)
        {
            copy._keys[u] = [.. list];
        }

        var keys = copy._keys.TryGetValue(usage, out var existing) ? existing : copy._keys[usage] = [];
        if (!keys.Contains(publicKey))
        {
            keys.Add(publicKey);
        }

        return copy;
    }

    /// <summary>The known public keys of <paramref name="usage"/> (empty when none is known).</summary>
    public IReadOnlyList<Ed25519PublicKey> Of(KeyUsage usage) => _keys.TryGetValue(usage, out var keys) ? keys : [];

    /// <summary>Every known key with its usage, by usage. Built once: the policy reads it for every device of a batch.</summary>
    public IReadOnlyList<(KeyUsage Usage, Ed25519PublicKey PublicKey)> All =>
        _all ??= _keys.OrderBy(kv => kv.Key).SelectMany(kv => kv.Value.Select(k => (kv.Key, k))).ToArray();
}
