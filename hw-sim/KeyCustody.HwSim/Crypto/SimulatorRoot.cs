using System.Buffers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using KeyCustody.HwSim.State;

namespace KeyCustody.HwSim.Crypto;

/// <summary>
/// The per-installation simulator root CA (stands in for Yubico's PIV root). It issues each card's
/// attestation (F9) certificate; attestation statements chain card → F9 → this root.
/// </summary>
public sealed class SimulatorRoot : IDisposable
{
    private readonly ECDsa _key;

    private SimulatorRoot(ECDsa key, X509Certificate2 certificate)
    {
        _key = key;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>A root that lives only in memory (tests, throw-away cards).</summary>
    public static SimulatorRoot CreateEphemeral(TimeProvider? time = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        var request = new CertificateRequest($"CN=KeyCustody hw-sim PIV Root CA {id}, O=KeyCustody hw-sim", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var selfSigned = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(50));
        return new SimulatorRoot(key, X509CertificateLoader.LoadCertificate(selfSigned.RawData));
    }

    /// <summary>
    /// Loads the installation's root from <paramref name="path"/>, creating it (0600) on first use. Two programs starting
    /// at once on a fresh account (keycustodyd --simulator and keycustody-hwsim root-cert) both find no file: only one
    /// root is ever written, and the other program loads it, so the cards' attestations and the root printed agree.
    /// </summary>
    public static SimulatorRoot LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return Load(path);
        }

        var root = CreateEphemeral();
        if (root.SaveIfAbsent(path))
        {
            return root;
        }

        root.Dispose();
        return Load(path);
    }

    /// <summary>The default root file; <see cref="InvalidDataException"/> naming --root when there is none (<see cref="FindDefaultPath"/>).</summary>
    public static string DefaultPath() => FindDefaultPath(out var problem) ?? throw new InvalidDataException(problem + ": give --root FILE");

    /// <summary>
    /// The default root file: $XDG_DATA_HOME/keycustody-hwsim/root-ca.json, else $HOME/.local/share/...; null when that base
    /// is not an absolute directory that exists (<paramref name="problem"/> says which): a user without a home
    /// (HOME=/nonexistent) would otherwise get a root CA relative to the working directory, in /tmp for anyone to replace.
    /// </summary>
    public static string? FindDefaultPath(out string problem)
    {
        problem = string.Empty;
        var data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var home = Environment.GetEnvironmentVariable("HOME");
        var (variable, value) = data is { Length: > 0 } ? ("XDG_DATA_HOME", data) : ("HOME", home);
        if (value is { Length: > 0 } && Path.IsPathRooted(value) && Directory.Exists(value))
        {
            var bases = variable == "HOME" ? Path.Combine(value, ".local", "share") : value;
            return Path.Combine(bases, "keycustody-hwsim", "root-ca.json");
        }

        problem = $"there is no private place for hw-sim's root CA: {variable} is " + (value is null or "" ? "not set" : !Path.IsPathRooted(value) ? $"'{value}', not an absolute path" : $"{value}, which does not exist");
        return null;
    }

    /// <summary>Issues a CA certificate for a card's attestation key (slot F9).</summary>
    public byte[] IssueAttestationKeyCertificate(uint serial, PublicKey attestationKey, DateTimeOffset now) =>
        IssueCardCertificate($"CN=KeyCustody hw-sim PIV Attestation {serial}", attestationKey, now);

    /// <summary>
    /// Issues the certificate of a card's OpenPGP attestation key (DO FC), directly under this root: the depth of Yubico's
    /// chain before firmware 5.7.4 (Yubico OPGP CA → the key's certificate → statement), the same root as PIV's.
    /// </summary>
    public byte[] IssueOpenPgpAttestationCertificate(uint serial, PublicKey attestationKey, DateTimeOffset now) =>
        IssueCardCertificate($"CN=KeyCustody hw-sim OPGP Attestation {serial}", attestationKey, now);

    private byte[] IssueCardCertificate(string subject, PublicKey attestationKey, DateTimeOffset now)
    {
        var request = new CertificateRequest(new X500DistinguishedName(subject), attestationKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(attestationKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var generator = X509SignatureGenerator.CreateForECDsa(_key);
        var notAfter = Certificate.NotAfter.ToUniversalTime() < now.AddYears(30).UtcDateTime
            ? new DateTimeOffset(Certificate.NotAfter.ToUniversalTime())
            : now.AddYears(30);
        using var issued = request.Create(Certificate.SubjectName, generator, now.AddDays(-1), notAfter, RandomNumberGenerator.GetBytes(16).Select((b, i) => i == 0 ? (byte)(b & 0x7F) : b).ToArray());
        return issued.RawData;
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }

    private static SimulatorRoot Load(string path)
    {
        var content = PrivateFile.ReadAll(path);
        byte[]? pkcs8 = null;
        byte[]? certificate = null;
        try
        {
            var reader = new Utf8JsonReader(content);
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                if (reader.ValueTextEquals("certificate"u8))
                {
                    reader.Read();
                    certificate = reader.GetBytesFromBase64();
                }
                else if (reader.ValueTextEquals("private_key"u8))
                {
                    reader.Read();
                    pkcs8 = reader.GetBytesFromBase64();
                }
            }

            if (pkcs8 is null || certificate is null)
            {
                throw new InvalidDataException($"simulator root file {path} lacks certificate or private_key");
            }

            var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return new SimulatorRoot(key, X509CertificateLoader.LoadCertificate(certificate));
        }
        finally
        {
            PrivateFile.Zero(content);
            if (pkcs8 is not null)
            {
                PrivateFile.Zero(pkcs8);
            }
        }
    }

    private bool SaveIfAbsent(string path)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var pkcs8 = _key.ExportPkcs8PrivateKey();
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteNumber("format", 1);
                writer.WriteBase64String("certificate", Certificate.RawData);
                writer.WriteBase64String("private_key", pkcs8);
                writer.WriteEndObject();
            }

            return PrivateFile.WriteIfAbsent(path, buffer.WrittenSpan);
        }
        finally
        {
            PrivateFile.Zero(pkcs8);
            buffer.Clear();
        }
    }
}
