using System.Security.Cryptography;

namespace KeyCustody.Tokens;

/// <summary>
/// A secret (PIN, management key, seed) in a pinned byte array this object owns and zeroes on dispose. Never a
/// string; never logged (<see cref="ToString"/> hides it). Pinned, so native code (C_Login) reads it where it lies and
/// the GC leaves no copy behind.
/// </summary>
public sealed class Secret : IDisposable
{
    private readonly byte[] _bytes;
    private bool _disposed;

    private Secret(int length)
    {
        _bytes = GC.AllocateArray<byte>(length, pinned: true);
    }

    public int Length => _bytes.Length;

    /// <summary>Copies <paramref name="value"/>; the caller still zeroes its own copy.</summary>
    public static Secret Copy(ReadOnlySpan<byte> value)
    {
        var secret = new Secret(value.Length);
        value.CopyTo(secret._bytes);
        return secret;
    }

    /// <summary>Takes ASCII characters (a PIN typed at a prompt) without ever making a string.</summary>
    public static Secret FromAscii(ReadOnlySpan<char> value)
    {
        var secret = new Secret(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] > 0x7E || value[i] < 0x20)
            {
                secret.Dispose();
                throw new ArgumentException("a PIN is printable ASCII", nameof(value));
            }

            secret._bytes[i] = (byte)value[i];
        }

        return secret;
    }

    /// <summary>The bytes; valid until disposed.</summary>
    public ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    public override string ToString() => "[secret]";

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_bytes);
        _disposed = true;
    }
}
