using System.Security.Cryptography.X509Certificates;

namespace KeyCustody.Daemon.Security;

/// <summary>TCP clients: a certificate that chains to the configured client CA (and only to it), valid now.</summary>
internal static class ClientCertificates
{
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection trust)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }
}
