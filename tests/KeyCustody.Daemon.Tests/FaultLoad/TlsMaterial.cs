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
        var ca = TestCertificates.Ca("CN=KeyCustody fault-run CA");
        using var server = TestCertificates.Issue(ca, "CN=localhost", serverAuth: true);
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
    public X509Certificate2 Client(string subject) => TestCertificates.Issue(Ca, subject, serverAuth: false);

    public void Dispose() => Ca.Dispose();
}
