using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// One key's entry in a secret's account data, <c>{"encrypted": {KEY_ID: {iv, ciphertext, mac}}}</c>
/// (<c>AesHmacSha2EncryptedData</c>); padded and unpadded base64 are both accepted, as clients write both.
/// </summary>
public sealed class EncryptedSecret
{
    private EncryptedSecret(byte[] iv, byte[] ciphertext, byte[] mac)
    {
        Iv = iv;
        Ciphertext = ciphertext;
        Mac = mac;
    }

    public byte[] Iv { get; }

    public byte[] Ciphertext { get; }

    public byte[] Mac { get; }

    /// <summary>Whether the secret's account data holds nothing for any key (absent, or erased as <c>{"encrypted": {}}</c> or <c>{}</c>).</summary>
    public static bool IsErased(JsonObject? content) => content?.GetObject("encrypted") is not { Count: > 0 };

    /// <summary>The entry for <paramref name="keyId"/> in the account data <paramref name="content"/> of secret <paramref name="name"/>.</summary>
    public static EncryptedSecret Parse(string name, string keyId, JsonObject? content)
    {
        if (content?.GetObject("encrypted")?[keyId] is not { } entry)
        {
            throw SecretStorageErrors.NotStored(name, keyId);
        }

        if (entry is not JsonObject obj)
        {
            throw SecretStorageErrors.Malformed($"the secret {name}'s entry for key '{keyId}' is not an object");
        }

        return new EncryptedSecret(
            Bytes(obj, "iv", name, AesCtr.IvLength),
            Bytes(obj, "ciphertext", name, null),
            Bytes(obj, "mac", name, AesHmacSha2Cipher.MacLength));
    }

    /// <summary>The account-data entry for this secret under one key: <c>{iv, ciphertext, mac}</c> in unpadded base64.</summary>
    public JsonObject ToJson() => JsonObject.Of(
        ("ciphertext", UnpaddedBase64.Encode(Ciphertext)),
        ("iv", UnpaddedBase64.Encode(Iv)),
        ("mac", UnpaddedBase64.Encode(Mac)));

    internal static EncryptedSecret Of(byte[] iv, byte[] ciphertext, byte[] mac) => new(iv, ciphertext, mac);

    private static byte[] Bytes(JsonObject obj, string member, string name, int? length)
    {
        if (obj.GetString(member) is not { } text || !UnpaddedBase64.TryDecode(text, out var bytes, out _))
        {
            throw SecretStorageErrors.Malformed($"the secret {name} has no valid base64 {member}");
        }

        if (length is { } n && bytes.Length != n)
        {
            throw SecretStorageErrors.Malformed($"the secret {name} has {member} of {bytes.Length} bytes, not {n}");
        }

        return bytes;
    }
}
