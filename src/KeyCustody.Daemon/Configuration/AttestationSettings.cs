using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Daemon.Configuration;

/// <summary>The attestation roots and intermediates after validation: files that exist, only their owner can write, and hold certificates.</summary>
public sealed record AttestationSettings(IReadOnlyList<string> Roots, IReadOnlyList<string> Intermediates)
{
    public static AttestationSettings None { get; } = new([], []);

    internal static AttestationSettings Validate(AttestationConfig c, Action<string, string> fail) =>
        new(Files(c.Roots, "attestation.roots", fail), Files(c.Intermediates, "attestation.intermediates", fail));

    /// <summary>Every certificate in <paramref name="files"/>; the caller disposes them.</summary>
    public static X509Certificate2Collection Load(IEnumerable<string> files)
    {
        var collection = new X509Certificate2Collection();
        foreach (var file in files)
        {
            collection.ImportFromPemFile(file);
        }

        return collection;
    }

    private static List<string> Files(List<string> files, string setting, Action<string, string> fail)
    {
        var valid = new List<string>();
        for (var i = 0; i < files.Count; i++)
        {
            var at = $"{setting}[{i}]";
            var path = Path.GetFullPath(files[i]);
            int count;
            if (!File.Exists(path))
            {
                // The first start after installing stops here: say what belongs there and where it comes from.
                fail(at, $"{path} does not exist: the attestation roots are certificates the operator installs; for YubiKeys, Yubico's PIV attestation root CA (https://developers.yubico.com/PKI/, the PIV attestation root, as PEM), root-owned and not writable by others");
                continue;
            }

            // A trust anchor: whoever can write it decides which keys count as made on a genuine card.
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                fail(at, $"{path} is writable by other users (mode {Convert.ToString((int)mode, 8)}): whoever writes it decides which keys count as attested; chmod 0644 or stricter");
                continue;
            }

            try
            {
                var certificates = Load([path]);
                count = certificates.Count;
                foreach (var certificate in certificates)
                {
                    certificate.Dispose();
                }
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                fail(at, $"{path} cannot be read as PEM certificates: {e.Message}");
                continue;
            }

            if (count == 0)
            {
                fail(at, $"{path} holds no PEM certificate");
                continue;
            }

            valid.Add(path);
        }

        return valid;
    }
}
