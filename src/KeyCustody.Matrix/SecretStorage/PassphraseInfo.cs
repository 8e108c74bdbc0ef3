using System.Security.Cryptography;
using System.Text;
using KeyCustody.Matrix.Json;

namespace KeyCustody.Matrix.SecretStorage;

/// <summary>
/// A key description's <c>passphrase</c> member (spec "Deriving keys from passphrases"): <c>m.pbkdf2</c>, PBKDF2 with
/// SHA-512 over the passphrase's UTF-8 bytes, the salt taken as its UTF-8 bytes, <c>iterations</c> rounds, <c>bits</c>
/// (256 when absent) of output.
/// </summary>
public sealed class PassphraseInfo
{
    public const string Pbkdf2 = "m.pbkdf2";

    /// <summary>Far above what clients write (Element: 500,000) and low enough that a hostile description cannot stall us for hours.</summary>
    public const long MaxIterations = 50_000_000;

    private PassphraseInfo(string salt, int iterations)
    {
        Salt = salt;
        Iterations = iterations;
    }

    public string Salt { get; }

    public int Iterations { get; }

    public static PassphraseInfo Parse(JsonValue value)
    {
        if (value is not JsonObject obj)
        {
            throw SecretStorageErrors.Malformed("the key description's passphrase is not an object");
        }

        var algorithm = obj.GetString("algorithm") ?? throw SecretStorageErrors.Malformed("the key description's passphrase has no algorithm");
        if (algorithm != Pbkdf2)
        {
            throw SecretStorageErrors.Unsupported($"the passphrase algorithm '{algorithm}' is not supported (only {Pbkdf2})");
        }

        var salt = obj.GetString("salt") ?? throw SecretStorageErrors.Malformed("the key description's passphrase has no salt");
        if (obj["iterations"] is not JsonInteger { Value: >= 1 and <= MaxIterations } iterations)
        {
            throw SecretStorageErrors.Malformed($"the key description's passphrase iterations must be an integer from 1 to {MaxIterations}");
        }

        if (obj["bits"] is { } bits && bits is not JsonInteger { Value: 256 })
        {
            // The spec allows other lengths; matrix-rust-sdk always derives 256 bits, so another value would mean
            // clients disagree about the key.
            throw SecretStorageErrors.Unsupported("the key description asks for a passphrase-derived key that is not 256 bits");
        }

        return new PassphraseInfo(salt, (int)iterations.Value);
    }

    /// <summary>The 32-byte key derived from <paramref name="passphrase"/> (UTF-8 bytes).</summary>
    public SecretBuffer Derive(ReadOnlySpan<byte> passphrase)
    {
        var key = new SecretBuffer(RecoveryKey.KeyLength);
        Rfc2898DeriveBytes.Pbkdf2(passphrase, Encoding.UTF8.GetBytes(Salt), key.Span, Iterations, HashAlgorithmName.SHA512);
        return key;
    }
}
