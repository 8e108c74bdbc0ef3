using KeyCustody.Matrix.Codecs;
using NSec.Cryptography;

namespace KeyCustody.Matrix.Signing;

/// <summary>An Ed25519 public key (32 bytes), as Matrix names it: unpadded base64, key id <c>ed25519:&lt;base64&gt;</c>.</summary>
public sealed class Ed25519PublicKey : IEquatable<Ed25519PublicKey>
{
    public const int Length = 32;
    public const int SignatureLength = 64;

    private readonly byte[] _bytes;
    private PublicKey? _nsec;

    public Ed25519PublicKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"an Ed25519 public key is {Length} bytes, not {bytes.Length}", nameof(bytes));
        }

        _bytes = bytes.ToArray();
        Base64 = UnpaddedBase64.Encode(_bytes);
    }

    /// <summary>Takes <paramref name="owned"/> (32 bytes no one else holds) and its canonical text when the caller has it.</summary>
    private Ed25519PublicKey(byte[] owned, string? canonicalBase64)
    {
        _bytes = owned;
        Base64 = canonicalBase64 ?? UnpaddedBase64.Encode(owned);
    }

    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The same 32 bytes as read-only memory (one instance for the key's lifetime, so callers may cache by it).</summary>
    public ReadOnlyMemory<byte> Memory => _bytes;

    /// <summary>Canonical unpadded base64 (43 characters).</summary>
    public string Base64 { get; }

    /// <summary>The cross-signing key id: <c>ed25519:</c> followed by the base64 public key.</summary>
    public string KeyId => "ed25519:" + Base64;

    /// <summary>Parses unpadded base64 leniently (see <see cref="UnpaddedBase64"/>); throws <see cref="FormatException"/>.</summary>
    public static Ed25519PublicKey FromBase64(string text)
    {
        if (!TryFromBase64(text, out var key, out var error))
        {
            throw new FormatException(error);
        }

        return key!;
    }

    public static bool TryFromBase64(string text, out Ed25519PublicKey? key, out string error)
    {
        key = null;
        if (!UnpaddedBase64.TryDecode(text, out var bytes, out error))
        {
            error = "invalid Ed25519 public key: " + error;
            return false;
        }

        if (bytes.Length != Length)
        {
            error = $"invalid Ed25519 public key: it decodes to {bytes.Length} bytes, not {Length}";
            return false;
        }

        // The decoded array is this key's own; text already in canonical form is its Base64 (a device's key, as sent).
        key = new Ed25519PublicKey(bytes, IsCanonical(text, bytes) ? text : null);
        return true;
    }

    /// <summary>Whether <paramref name="text"/> is exactly the canonical unpadded base64 of <paramref name="bytes"/>.</summary>
    private static bool IsCanonical(string text, byte[] bytes)
    {
        Span<byte> encoded = stackalloc byte[48];
        System.Buffers.Text.Base64.EncodeToUtf8(bytes, encoded, out _, out _);
        var length = UnpaddedBase64.EncodedLength(bytes.Length);
        if (text.Length != length)
        {
            return false;
        }

        for (var i = 0; i < length; i++)
        {
            if (text[i] != encoded[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Pure Ed25519 (RFC 8032) verification of <paramref name="signature"/> over the whole message.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureLength)
        {
            return false;
        }

        _nsec ??= PublicKey.Import(SignatureAlgorithm.Ed25519, _bytes, KeyBlobFormat.RawPublicKey);
        return SignatureAlgorithm.Ed25519.Verify(_nsec, message, signature);
    }

    public bool Equals(Ed25519PublicKey? other) => other is not null && other._bytes.AsSpan().SequenceEqual(_bytes);

    public override bool Equals(object? obj) => obj is Ed25519PublicKey k && Equals(k);

    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    public override string ToString() => Base64;
}
