using System.Security.Cryptography;
using KeyCustody.Cli.Publishing;
using KeyCustody.Matrix.SecretStorage;

namespace KeyCustody.Cli.Migration;

/// <summary>
/// What opens secret storage: a recovery key or a passphrase, from a file nobody else may read, or typed without echo.
/// Held as bytes this object zeroes; never a string.
/// </summary>
internal sealed class UnlockInput : IDisposable
{
    private readonly byte[] _bytes;
    private readonly Kind _kind;

    private UnlockInput(byte[] bytes, Kind kind)
    {
        _bytes = bytes;
        _kind = kind;
    }

    private enum Kind
    {
        RecoveryKey,
        Passphrase,
        Typed,
    }

    /// <summary>Reads the file given, or nothing yet when the person will type it (see <see cref="Prompt"/>).</summary>
    public static UnlockInput? FromFiles(string? recoveryKeyFile, string? passphraseFile)
    {
        if (recoveryKeyFile is not null && passphraseFile is not null)
        {
            throw new UsageException("give one of --recovery-key-file and --passphrase-file, not both");
        }

        if (recoveryKeyFile is not null)
        {
            return new UnlockInput(SecretFile.Read(recoveryKeyFile, "--recovery-key-file", trimLineEnd: false), Kind.RecoveryKey);
        }

        return passphraseFile is null ? null : new UnlockInput(SecretFile.Read(passphraseFile, "--passphrase-file", trimLineEnd: true), Kind.Passphrase);
    }

    /// <summary>Asks on the terminal, without echo, for the recovery key or (when the key has one) the passphrase.</summary>
    public static UnlockInput Prompt(string userId, SecretStorageKeyDescription description)
    {
        var what = description.Passphrase is null ? "recovery key" : "recovery key or passphrase";
        var typed = Console.IsInputRedirected
            ? null
            : TerminalPassword.Read(Console.Error, $"{what} of the secret storage of {userId} (not shown): ");
        return typed is null
            ? throw new UsageException($"secret storage is opened with its {what}: run this on a terminal, or give --recovery-key-file FILE or --passphrase-file FILE")
            : new UnlockInput(typed, Kind.Typed);
    }

    /// <summary>
    /// The 4S key, checked against the description's MAC (throws <see cref="SecretStorageException"/> when it is not the
    /// key). Typed input is taken as a recovery key when it is one, as a passphrase otherwise, as Element does.
    /// </summary>
    public SecretStorageKey Unlock(SecretStorageKeyDescription description)
    {
        if (_kind == Kind.RecoveryKey)
        {
            return SecretStorageKey.FromRecoveryKey(description, _bytes);
        }

        if (_kind == Kind.Passphrase)
        {
            return SecretStorageKey.FromPassphrase(description, _bytes);
        }

        try
        {
            RecoveryKey.Decode(_bytes).Dispose();
        }
        catch (SecretStorageException) when (description.Passphrase is not null)
        {
            return SecretStorageKey.FromPassphrase(description, _bytes);
        }

        return SecretStorageKey.FromRecoveryKey(description, _bytes);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_bytes);
}
