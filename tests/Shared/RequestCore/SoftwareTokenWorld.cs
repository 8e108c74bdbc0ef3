using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Tokens;
using KeyCustody.Tokens;
using KeyCustody.Tokens.Software;

namespace KeyCustody.Tests.Shared;

/// <summary>
/// The fixed parts of the daemon's request core in one process, on a software token: a private (0700) temporary
/// directory, the token holding keys imported from fixed seeds, the validated configuration, its state directory, the
/// token host and the key registry, with the token's cross-signing keys accepted as an admin would (a software token
/// attests nothing). Used by the pipeline fuzzer (fuzz/KeyCustody.Fuzz.Pipeline) and the allocation bench
/// (bench/KeyCustody.Daemon.Alloc), each with its own keys and configuration.
/// </summary>
internal sealed record SoftwareTokenWorld(string Root, ValidatedConfig Config, TokenHost Token, KeyRegistry Keys, AttestationRoots Roots)
{
    /// <param name="prefix">The temporary directory's name prefix.</param>
    /// <param name="seeds">Each key's id on the token and its Ed25519 seed.</param>
    /// <param name="configure">The configuration, given the token's directory and the world's root.</param>
    /// <param name="acceptedBy">Who accepted the untrusted keys, for the provenance record.</param>
    public static SoftwareTokenWorld Create(string prefix, IEnumerable<(string KeyId, byte[] Seed)> seeds, Func<string, string, DaemonConfig> configure, string acceptedBy)
    {
        var root = Directory.CreateTempSubdirectory(prefix).FullName;
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        File.SetUnixFileMode(root, Private);
        var tokenDir = Path.Combine(root, "software");
        using (var software = SoftwareToken.Open(tokenDir))
        {
            foreach (var (keyId, seed) in seeds)
            {
                using var secret = Secret.Copy(seed);
                software.ImportKeyAsync(new KeyGenerationRequest(keyId), secret, TokenInteraction.None).GetAwaiter().GetResult();
            }
        }

        var config = ConfigValidator.Validate(configure(tokenDir, root), null);
        Directory.CreateDirectory(config.StateDirectory, Private);
        var token = TokenHost.Create(config.Tokens[0], config.Limits, null);
        var roots = new AttestationRoots(config.Attestation, null);
        var provenance = new KeyProvenanceBook(ProvenanceFile.Open(config.StateDirectory), roots, TimeProvider.System);
        var keys = new KeyRegistry(config.Keys.Select(k => new KeyEntry(k, token)), config.StateDirectory, config.AllowSoftwareMasterKey, provenance);
        keys.Refresh();
        foreach (var key in keys.All.Where(k => k.PublicKey is not null && !k.Trust.Trusted))
        {
            provenance.Accept(key, acceptedBy, "a software token attests nothing");
        }

        return new SoftwareTokenWorld(root, config, token, keys, roots);
    }

    /// <summary>Closes the token and the attestation roots and removes the directory.</summary>
    public void Delete()
    {
        Roots.Dispose();
        Token.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
