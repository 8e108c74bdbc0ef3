using System.Collections.Concurrent;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace KeyCustody.Tokens.Software;

/// <summary>
/// Development and CI only: Ed25519 seeds in files (one per key, created 0600 in a 0700 directory), signing with
/// NSec/libsodium. Reports itself as not hardware-backed so the daemon can refuse it for the master key. No PIN,
/// no touch: the presence hook is never called.
/// </summary>
public sealed class SoftwareToken : ISigningToken
{
    private const string Extension = ".ed25519";
    private const int SeedLength = 32;

    private readonly string _directory;
    private readonly ConcurrentDictionary<string, (Key Key, TokenKey Info)> _loaded = new(StringComparer.Ordinal);
    private readonly object _fileGate = new();

    private SoftwareToken(string directory)
    {
        _directory = directory;
        Name = $"software:{directory}";
    }

    public bool IsHardwareBacked => false;

    // Made once: every signature passes it to the verify-after-sign check.
    private string Name { get; }

    /// <summary>Opens (creating if needed, mode 0700) a directory of key files.</summary>
    public static SoftwareToken Open(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(full);
            }
            else
            {
                Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        return new SoftwareToken(full);
    }

    public TokenStatus GetStatus(CancellationToken cancellation = default) =>
        new("software", Name, null, null, false, $"software Ed25519 keys in {_directory} (development only)");

    public IReadOnlyList<TokenKey> ListKeys(CancellationToken cancellation = default) =>
        Directory.EnumerateFiles(_directory, "*" + Extension)
            .Select(path => Path.GetFileName(path)[..^Extension.Length])
            .Where(IsValidId)
            .Order(StringComparer.Ordinal)
            .Select(id => Load(id).Info)
            .ToList();

    public TokenKey GetKey(string keyId, CancellationToken cancellation = default) => Load(keyId).Info;

    public Task<TokenKey> GenerateKeyAsync(KeyGenerationRequest request, TokenInteraction interaction, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        RequireValidId(request.KeyId);
        if (request.PinPolicy is not (PinPolicy.Default or PinPolicy.Never))
        {
            throw TokenErrors.NotSupported(Name, "a PIN policy (software keys have no PIN)");
        }

        if (request.TouchPolicy is not (TouchPolicy.Default or TouchPolicy.Never))
        {
            throw TokenErrors.NotSupported(Name, "a touch policy (software keys have no button)");
        }

        var seed = GC.AllocateArray<byte>(SeedLength, pinned: true);
        try
        {
            RandomNumberGenerator.Fill(seed);
            lock (_fileGate)
            {
                var path = PathOf(request.KeyId);
                if (File.Exists(path) && !request.Overwrite)
                {
                    throw TokenErrors.KeyExists(Name, request.KeyId);
                }

                WriteSeed(path, seed, request.Overwrite);
                if (_loaded.TryRemove(request.KeyId, out var old))
                {
                    old.Key.Dispose();
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }

        return Task.FromResult(Load(request.KeyId).Info);
    }

    public Task<TokenKey> ImportKeyAsync(KeyGenerationRequest request, Secret seed, TokenInteraction interaction, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(seed);
        cancellation.ThrowIfCancellationRequested();
        RequireValidId(request.KeyId);
        if (seed.Length != SeedLength)
        {
            throw TokenErrors.NotSupported(Name, $"a seed of {seed.Length} bytes (Ed25519 seeds are {SeedLength})");
        }

        lock (_fileGate)
        {
            var path = PathOf(request.KeyId);
            if (File.Exists(path) && !request.Overwrite)
            {
                throw TokenErrors.KeyExists(Name, request.KeyId);
            }

            WriteSeed(path, seed.Span, request.Overwrite);
            if (_loaded.TryRemove(request.KeyId, out var old))
            {
                old.Key.Dispose();
            }
        }

        // A seed file does not record where the seed came from; the caller knows it imported it.
        return Task.FromResult(Load(request.KeyId).Info);
    }

    public Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, CancellationToken cancellation = default) =>
        SignAsync(keyId, message, interaction, ReadOnlyMemory<byte>.Empty, cancellation);

    public Task<byte[]> SignAsync(string keyId, ReadOnlyMemory<byte> message, TokenInteraction interaction, ReadOnlyMemory<byte> expectedPublicKey, CancellationToken cancellation = default)
    {
        if (cancellation.IsCancellationRequested)
        {
            throw TokenErrors.Cancelled(Name, "signature");
        }

        var (key, info) = Load(keyId);
        var signature = SignatureAlgorithm.Ed25519.Sign(key, message.Span);
        return Task.FromResult(Ed25519Check.Require(Name, info, message.Span, signature, expectedPublicKey));
    }

    public KeyAttestation Attest(string keyId, CancellationToken cancellation = default) =>
        throw TokenErrors.NotSupported(Name, "attestation (a software key proves nothing about where it lives)");

    public void Dispose()
    {
        foreach (var entry in _loaded.Values)
        {
            entry.Key.Dispose();
        }

        _loaded.Clear();
    }

    private (Key Key, TokenKey Info) Load(string keyId)
    {
        RequireValidId(keyId);
        if (_loaded.TryGetValue(keyId, out var loaded))
        {
            return loaded;
        }

        lock (_fileGate)
        {
            if (_loaded.TryGetValue(keyId, out loaded))
            {
                return loaded;
            }

            var path = PathOf(keyId);
            if (!File.Exists(path))
            {
                throw TokenErrors.KeyNotFound(Name, keyId);
            }

            var seed = GC.AllocateArray<byte>(SeedLength, pinned: true);
            try
            {
                using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
                {
                    if (RandomAccess.GetLength(handle) != SeedLength || RandomAccess.Read(handle, seed, 0) != SeedLength)
                    {
                        throw TokenErrors.Device(Name, $"key file {path} is not a 32-byte Ed25519 seed", "bad key file");
                    }
                }

                var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
                var info = new TokenKey(keyId, key.PublicKey.Export(KeyBlobFormat.RawPublicKey), PinPolicy.Never, TouchPolicy.Never, KeyOrigin.Generated);
                loaded = (key, info);
                _loaded[keyId] = loaded;
                return loaded;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }
    }

    private static void WriteSeed(string path, ReadOnlySpan<byte> seed, bool overwrite)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        // Write to a temporary file first so a crash never leaves a truncated key behind.
        var temporary = path + ".tmp";
        File.Delete(temporary);
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(seed);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite);
    }

    private string PathOf(string keyId) => Path.Combine(_directory, keyId + Extension);

    private static bool IsValidId(string keyId) =>
        keyId.Length is > 0 and <= 64 && keyId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && keyId[0] != '.';

    private static void RequireValidId(string keyId)
    {
        if (!IsValidId(keyId))
        {
            throw new ArgumentException("a software key id is 1-64 characters of [A-Za-z0-9._-], not starting with '.'", nameof(keyId));
        }
    }
}
