using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Daemon.Tests;

/// <summary>Test CAs and the certificates they issue (P-256): the daemon's server certificate and cert: principals.</summary>
internal static class TestCertificates
{
    public static X509Certificate2 Ca(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(365));
    }

    /// <summary>A server (localhost, 127.0.0.1) or client certificate from <paramref name="ca"/>, valid from yesterday for 30 days unless told otherwise.</summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool serverAuth, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
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

        using var issued = request.Create(ca, notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// The daemon's TLS listener files in <paramref name="dir"/>: the server's certificate, its private key (0600: the
    /// daemon refuses a key others can read) and the CA its clients' certificates must chain to.
    /// </summary>
    public static (string Certificate, string PrivateKey, string ClientCa) WriteServerFiles(string dir, X509Certificate2 server, X509Certificate2 clientCa)
    {
        var certPem = Path.Combine(dir, "server.pem");
        var keyPem = Path.Combine(dir, "server.key");
        var caPem = Path.Combine(dir, "clients-ca.pem");
        File.WriteAllText(certPem, server.ExportCertificatePem());
        File.WriteAllText(keyPem, server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyPem, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(caPem, clientCa.ExportCertificatePem());
        return (certPem, keyPem, caPem);
    }

    /// <summary>A TCP port on the loopback interface that nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
