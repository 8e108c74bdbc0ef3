using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// The account data <c>m.secret_storage.key.&lt;id&gt;</c>: <c>algorithm</c> (only
/// <c>m.secret_storage.v1.aes-hmac-sha2</c>), optional <c>name</c>, optional <c>passphrase</c>, and the optional
/// check values <c>iv</c> and <c>mac</c> (the MAC of 32 zero bytes encrypted with the key; padded or unpadded base64).
/// </summary>
public sealed class SecretStorageKeyDescription
{
    public const string AesHmacSha2 = "m.secret_storage.v1.aes-hmac-sha2";
    public const string DefaultKeyType = "m.secret_storage.default_key";
    public const string KeyTypePrefix = "m.secret_storage.key.";

    private readonly byte[]? _iv;
    private readonly byte[]? _mac;

    private SecretStorageKeyDescription(string keyId, string? name, PassphraseInfo? passphrase, byte[]? iv, byte[]? mac)
    {
        KeyId = keyId;
        Name = name;
        Passphrase = passphrase;
        _iv = iv;
        _mac = mac;
    }

    public string KeyId { get; }

    public string? Name { get; }

    /// <summary>How to derive the key from a passphrase, when the key was made from one.</summary>
    public PassphraseInfo? Passphrase { get; }

    /// <summary>Whether the description carries the check values (the spec makes them optional).</summary>
    public bool HasCheck => _iv is not null && _mac is not null;

    public ReadOnlySpan<byte> CheckIv => _iv;

    public ReadOnlySpan<byte> CheckMac => _mac;

    /// <summary>The key id named by <c>m.secret_storage.default_key</c>'s content.</summary>
    public static string DefaultKeyId(JsonObject defaultKey) =>
        defaultKey.GetString("key") is { Length: > 0 } id ? id : throw SecretStorageErrors.Malformed($"{DefaultKeyType} has no key id (its 'key' member)");

    public static SecretStorageKeyDescription Parse(string keyId, JsonObject content)
    {
        var algorithm = content.GetString("algorithm") ?? throw SecretStorageErrors.Malformed($"the key description {KeyTypePrefix}{keyId} has no algorithm");
        if (algorithm != AesHmacSha2)
        {
            throw SecretStorageErrors.Unsupported($"secret storage key '{keyId}' uses '{algorithm}'; only {AesHmacSha2} is supported");
        }

        var passphrase = content["passphrase"] is { } p ? PassphraseInfo.Parse(p) : null;
        var iv = Bytes(content, "iv", keyId, AesCtr.IvLength);
        var mac = Bytes(content, "mac", keyId, AesHmacSha2Cipher.MacLength);
        if ((iv is null) != (mac is null))
        {
            throw SecretStorageErrors.Malformed($"the key description {KeyTypePrefix}{keyId} has only one of iv and mac");
        }

        return new SecretStorageKeyDescription(keyId, content.GetString("name"), passphrase, iv, mac);
    }

    private static byte[]? Bytes(JsonObject content, string member, string keyId, int length)
    {
        if (content[member] is not { } value)
        {
            return null;
        }

        if (value is not JsonString s || !UnpaddedBase64.TryDecode(s.Value, out var bytes, out var error))
        {
            throw SecretStorageErrors.Malformed($"the key description {KeyTypePrefix}{keyId} has {member} that is not base64");
        }

        return bytes.Length == length ? bytes : throw SecretStorageErrors.Malformed($"the key description {KeyTypePrefix}{keyId} has {member} of {bytes.Length} bytes, not {length}");
    }
}
