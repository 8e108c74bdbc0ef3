using System.Security.Cryptography;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.Configuration;

/// <summary>
/// Reads a secret (PIN, management key) from where the configuration says: a file, a systemd credential
/// ($CREDENTIALS_DIRECTORY/NAME) or an environment variable. Read on each use into a <see cref="Secret"/>
/// the caller disposes; never a string, never cached by this class, never logged.
/// </summary>
public sealed record SecretSource(string Description, Func<Secret> Read)
{
    public static SecretSource FromFile(string path) => new($"file {path}", () => ReadFile(path));

    public static SecretSource FromCredential(string name)
    {
        return new($"systemd credential {name}", () =>
        {
            var dir = Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY")
                ?? throw new InvalidOperationException($"the secret is the systemd credential {name}, but CREDENTIALS_DIRECTORY is not set (start the daemon with LoadCredential=)");
            return ReadFile(Path.Combine(dir, name));
        });
    }

    public static SecretSource FromEnvironment(string variable) => new($"environment variable {variable}", () =>
    {
        // The environment is the one place a secret arrives as a string; it is copied out at once.
        var value = Environment.GetEnvironmentVariable(variable) ?? throw new InvalidOperationException($"environment variable {variable} is not set");
        return Secret.FromAscii(value.AsSpan().TrimEnd());
    });

    private static Secret ReadFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            var length = bytes.Length;
            while (length > 0 && bytes[length - 1] is (byte)'\n' or (byte)'\r')
            {
                length--;
            }

            return Secret.Copy(bytes.AsSpan(0, length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public override string ToString() => Description;
}
