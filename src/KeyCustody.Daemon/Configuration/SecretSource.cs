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
            var dir = Environment.GetEnvironmentVariable(CredentialsDirectory)
                ?? throw new InvalidOperationException(CredentialProblem(name));
            return ReadFile(Path.Combine(dir, name));
        });
    }

    private const string CredentialsDirectory = "CREDENTIALS_DIRECTORY";

    /// <summary>Why the systemd credential <paramref name="name"/> cannot be read in this process, or null when it can.</summary>
    public static string? CredentialProblem(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            return $"'{name}' is not a credential name (a file name in $CREDENTIALS_DIRECTORY, without '/')";
        }

        if (Environment.GetEnvironmentVariable(CredentialsDirectory) is not { Length: > 0 } dir)
        {
            // From a shell (--check-config before enabling the service) the service's credentials are not handed over: say
            // how to check them as the service will get them, rather than pushing the operator off LoadCredential=.
            return $"'{name}' is a systemd credential, but CREDENTIALS_DIRECTORY is not set: keycustodyd is not running as a systemd service with LoadCredential={name}:FILE. " +
                "To check the configuration as the service will run, name the directory the unit's LoadCredential= lines read from " +
                "(the package's: CREDENTIALS_DIRECTORY=/etc/keycustody/credentials keycustodyd --check-config --config /etc/keycustody/keycustodyd.json), " +
                $"or run the check under systemd: systemd-run --pipe --wait -p LoadCredential={name}:FILE keycustodyd --check-config --config CONFIG";
        }

        var path = Path.Combine(dir, name);
        return File.Exists(path) ? null : $"the systemd credential '{name}' ({path}) does not exist: add LoadCredential={name}:FILE to the unit";
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
