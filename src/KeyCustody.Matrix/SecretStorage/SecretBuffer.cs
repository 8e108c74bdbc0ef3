using System.Security.Cryptography;

namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// Secret bytes (a 4S key, a decrypted secret, an Ed25519 seed) in a pinned array this object owns and zeroes on
/// dispose, so the GC never leaves a copy behind. Never a string; <see cref="ToString"/> hides the bytes.
/// </summary>
public sealed class SecretBuffer : IDisposable
{
    private readonly byte[] _bytes;
    private bool _disposed;

    public SecretBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _bytes = GC.AllocateArray<byte>(length, pinned: true);
    }

    public int Length => _bytes.Length;

    /// <summary>The bytes; valid until disposed.</summary>
    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>The owned array itself, for APIs that insist on an array (protobuf's UnsafeWrap). Do not keep it.</summary>
    public byte[] UnsafeArray
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>A new buffer holding a copy of <paramref name="value"/>; the caller still zeroes its own copy.</summary>
    public static SecretBuffer Copy(ReadOnlySpan<byte> value)
    {
        var buffer = new SecretBuffer(value.Length);
        value.CopyTo(buffer._bytes);
        return buffer;
    }

    /// <summary>A new buffer holding a copy of <paramref name="length"/> bytes from <paramref name="start"/>; this one is left as it is.</summary>
    public SecretBuffer Slice(int start, int length) => Copy(Span.Slice(start, length));

    public override string ToString() => "[secret]";

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_bytes);
        _disposed = true;
    }
}
