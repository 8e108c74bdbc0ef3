using Grpc.Core;
using KeyCustody.Daemon.Security;

namespace KeyCustody.Daemon.Grpc;

/// <summary>Who is calling: the Unix peer recorded at connect time, or the verified TLS client certificate.</summary>
internal static class Callers
{
    public static Principal Resolve(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        if (http.Features.Get<PeerPrincipalFeature>() is { } peer)
        {
            return peer.Principal;
        }

        if (http.Connection.ClientCertificate is { } cert)
        {
            return Principal.FromCertificate(cert.Subject);
        }

        throw new RpcException(new Status(StatusCode.Unauthenticated, "the caller could not be identified (Unix peer credentials or a TLS client certificate are required)"));
    }
}
