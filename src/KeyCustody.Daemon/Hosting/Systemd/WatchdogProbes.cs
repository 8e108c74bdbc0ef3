using System.Net.Sockets;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using KeyCustody.Daemon.Audit;

namespace KeyCustody.Daemon.Hosting.Systemd;

/// <summary>
/// What "healthy" means to the watchdog: the daemon is responsive, so a restart would not help. Three probes, each
/// given the watchdog's interval to answer: the thread pool runs a work item (a starved or deadlocked pool serves
/// nothing); the audit log has no record waiting longer than that to be written (a write or fsync that does not
/// return: every signature waits for its intent on disk); and the listener answers a grpc.health.v1 Check on the
/// daemon's own Unix socket (accept, HTTP/2, gRPC dispatch: the way every request comes in).
/// Deliberately not part of it: tokens (an unplugged YubiKey is not fixed by a restart, the daemon reopens it when it
/// returns, and the other tokens' keys keep signing), a failed audit log (a full or broken disk is not fixed by a
/// restart either, and a restart loop would bury the first error; it is in STATUS= and grpc health), and a refusal
/// the listener answers quickly (at its connection limit the daemon is busy, not wedged).
/// </summary>
internal sealed class WatchdogProbes(AuditLog audit, string? unixSocket)
{
    /// <summary>Null when every probe answered within <paramref name="deadline"/>; else what did not, for STATUS= and the log.</summary>
    public async Task<string?> CheckAsync(TimeSpan deadline, CancellationToken cancellation)
    {
        var findings = new List<string>();
        if (!await Within(deadline, Task.Run(static () => { }, cancellation)).ConfigureAwait(false))
        {
            findings.Add($"the thread pool did not run a work item within {Seconds(deadline)}");
        }

        var waiting = audit.Waiting;
        if (waiting > deadline)
        {
            findings.Add($"the audit log has waited {Seconds(waiting)} to write a record (a write or fsync that does not return)");
        }

        if (unixSocket is not null && !await Within(deadline, HealthCheckAsync(unixSocket, deadline, cancellation)).ConfigureAwait(false))
        {
            findings.Add($"the listener did not answer a health check on {unixSocket} within {Seconds(deadline)}");
        }

        return findings.Count == 0 ? null : string.Join("; ", findings);
    }

    /// <summary>True when <paramref name="probe"/> ended (however) within the deadline.</summary>
    internal static async Task<bool> Within(TimeSpan deadline, Task probe)
    {
        try
        {
            await probe.WaitAsync(deadline).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
#pragma warning disable CA1031 // An answer of any kind (a refusal, an error) shows the probed part is responsive.
        catch (Exception)
#pragma warning restore CA1031
        {
            return true;
        }
    }

    /// <summary>A fresh connection each time, so the accept loop is probed too; only running out of time counts.</summary>
    private static async Task HealthCheckAsync(string socketPath, TimeSpan deadline, CancellationToken cancellation)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        try
        {
            await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + deadline, cancellationToken: cancellation).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            throw new TimeoutException("no answer before the deadline", e);
        }
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";
}
