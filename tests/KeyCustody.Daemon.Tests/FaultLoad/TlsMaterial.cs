using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>A CA, the daemon's server certificate (PEM files, key 0600) and client certificates for cert: principals.</summary>
internal sealed class TlsMaterial : IDisposable
{
    private TlsMaterial(X509Certificate2 ca, string certificate, string privateKey, string clientCa)
    {
        Ca = ca;
        CertificateFile = certificate;
        PrivateKeyFile = privateKey;
        ClientCaFile = clientCa;
    }

    public X509Certificate2 Ca { get; }

    public string CertificateFile { get; }

    public string PrivateKeyFile { get; }

    public string ClientCaFile { get; }

    public static TlsMaterial Create(string directory)
    {
        var ca = SelfSignedCa("CN=KeyCustody fault-run CA");
        using var server = Issue(ca, "CN=localhost", serverAuth: true);
        var certificate = Path.Combine(directory, "server.pem");
        var privateKey = Path.Combine(directory, "server.key");
        var clientCa = Path.Combine(directory, "clients-ca.pem");
        File.WriteAllText(certificate, server.ExportCertificatePem());
        using (var key = server.GetECDsaPrivateKey()!)
        {
            File.WriteAllText(privateKey, key.ExportPkcs8PrivateKeyPem());
        }

        File.SetUnixFileMode(privateKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(clientCa, ca.ExportCertificatePem());
        return new TlsMaterial(ca, certificate, privateKey, clientCa);
    }

    /// <summary>A client certificate from this CA; the daemon's principal is "cert:" + <paramref name="subject"/>.</summary>
    public X509Certificate2 Client(string subject) => Issue(Ca, subject, serverAuth: false);

    public static X509Certificate2 SelfSignedCa(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(365));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }

        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    public void Dispose() => Ca.Dispose();
}
