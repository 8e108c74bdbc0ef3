using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using KeyCustody.Contract;
using KeyCustody.Protos.V1;

namespace KeyCustody.Client;

/// <summary>
/// A connection to keycustodyd over its Unix socket (the usual way) with typed access to both services
/// and a helper that follows a signing stream to its end.
/// </summary>
public sealed class KeyCustodyClient : IDisposable
{
    /// <summary>Where a system daemon listens unless KEYCUSTODY_SOCKET says otherwise.</summary>
    public const string DefaultSocket = DaemonSockets.System;

    private readonly GrpcChannel _channel;

    private KeyCustodyClient(GrpcChannel channel)
    {
        _channel = channel;
        Custody = new Custody.CustodyClient(channel);
        Admin = new Admin.AdminClient(channel);
    }

    public Custody.CustodyClient Custody { get; }

    public Admin.AdminClient Admin { get; }

    public ChannelBase Channel => _channel;

    public static KeyCustodyClient ConnectUnix(string socketPath) => ConnectUnix(socketPath, null);

    /// <summary>
    /// As <see cref="ConnectUnix(string)"/>, with <paramref name="checkPeer"/> run on every connection the channel makes,
    /// before anything is sent on it (it throws to refuse the peer): a check made on a connection of its own beforehand
    /// says nothing about the socket found at the path the next time, if someone can replace it in between.
    /// </summary>
    public static KeyCustodyClient ConnectUnix(string socketPath, Action<Socket>? checkPeer)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                // A busy daemon's full accept backlog shows up as a transient connect error: retry briefly.
                for (var attempt = 0; ; attempt++)
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellation).ConfigureAwait(false);
                        checkPeer?.Invoke(socket);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch (SocketException e) when (attempt < 5 && e.SocketErrorCode is SocketError.TryAgain or SocketError.AddressNotAvailable or SocketError.WouldBlock)
                    {
                        socket.Dispose();
                        await Task.Delay(50 << attempt, cancellation).ConfigureAwait(false);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                }
            },
        };
        var channel = GrpcChannel.ForAddress("http://keycustodyd", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 256 * 1024 * 1024,
            MaxSendMessageSize = 64 * 1024 * 1024,
        });
        return new KeyCustodyClient(channel);
    }

    /// <summary>
    /// TCP with mutual TLS: <paramref name="clientCertificate"/> (with its private key) identifies the caller, and
    /// the server's certificate must chain to <paramref name="serverCa"/>.
    /// </summary>
    public static KeyCustodyClient ConnectTls(Uri address, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate, System.Security.Cryptography.X509Certificates.X509Certificate2Collection serverCa)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = clientCertificate is null ? null : [clientCertificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is null)
            {
                return false;
            }

            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(serverCa);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            using var cert = new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate);
            return chain.Build(cert);
        };
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        return new KeyCustodyClient(channel);
    }

    /// <summary>
    /// Follows a SignJson/SignJsonBatch/CrossSign* stream to its end: every event to <paramref name="onEvent"/>, the SIGNED
    /// returned once the call has ended (by then the daemon's outcome record of the request is on disk).
    /// </summary>
    public static async Task<Signed> FollowAsync(AsyncServerStreamingCall<SignEvent> call, Action<SignEvent>? onEvent, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        using (call)
        {
            Signed? signed = null;
            await foreach (var e in call.ResponseStream.ReadAllAsync(cancellation).ConfigureAwait(false))
            {
                onEvent?.Invoke(e);
                signed ??= e.EventCase == SignEvent.EventOneofCase.Signed ? e.Signed : null;
            }

            return signed ?? throw NoResult();
        }
    }

    /// <summary>
    /// Follows a signing stream until SIGNED and returns it at once (the daemon sends it before its outcome record is on
    /// disk); the rest of the call, its end, is read in the background. For callers that want signatures the moment
    /// they exist.
    /// </summary>
    public static async Task<Signed> FollowUntilSignedAsync(AsyncServerStreamingCall<SignEvent> call, Action<SignEvent>? onEvent, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            while (await call.ResponseStream.MoveNext(cancellation).ConfigureAwait(false))
            {
                var e = call.ResponseStream.Current;
                onEvent?.Invoke(e);
                if (e.EventCase == SignEvent.EventOneofCase.Signed)
                {
                    _ = EndInBackground(call);
                    return e.Signed;
                }
            }
        }
        catch
        {
            call.Dispose();
            throw;
        }

        call.Dispose();
        throw NoResult();
    }

    private static async Task EndInBackground(AsyncServerStreamingCall<SignEvent> call)
    {
        using (call)
        {
            try
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
                {
                }
            }
            catch (RpcException)
            {
                // The signatures were delivered; how the rest of the call ended changes nothing for them.
            }
        }
    }

    private static RpcException NoResult() => new(new Status(StatusCode.Internal, "the daemon ended the stream without a result"));

    public Task<GetPublicKeysResponse> GetPublicKeysAsync(string userId, CancellationToken cancellation = default) =>
        Custody.GetPublicKeysAsync(new GetPublicKeysRequest { UserId = userId }, cancellationToken: cancellation).ResponseAsync;

    public void Dispose() => _channel.Dispose();
}
