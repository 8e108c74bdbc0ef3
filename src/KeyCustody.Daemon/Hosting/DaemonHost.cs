using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.HealthCheck;
using KeyCustody.Contract;
using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Daemon.Grpc;
using KeyCustody.Daemon.Hosting.Systemd;
using KeyCustody.Daemon.KeyAdmin;
using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Metrics;
using KeyCustody.Daemon.Requests;
using KeyCustody.Daemon.Presence;
using KeyCustody.Daemon.Security;
using KeyCustody.Daemon.Signing;
using KeyCustody.Daemon.Tokens;
using KeyCustody.HwSim.Crypto;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Serilog;

namespace KeyCustody.Daemon.Hosting;

/// <summary>The daemon could not start for a reason a person must fix (socket in use, broken audit log...).</summary>
public sealed class DaemonStartException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Composition and lifetime: tokens, keys, audit log, broker, pipeline, the gRPC services, the
/// listeners (Unix socket with peer credentials; TCP with mutual TLS only), health and readiness.
/// </summary>
public sealed class DaemonHost : IAsyncDisposable
{
    private readonly List<IDisposable> _owned;

    private DaemonHost(WebApplication app, List<IDisposable> owned)
    {
        App = app;
        _owned = owned;
    }

    public WebApplication App { get; }

    public IReadOnlyList<TokenHost> Tokens => App.Services.GetRequiredService<IReadOnlyList<TokenHost>>();

    public static async Task<DaemonHost> StartAsync(ConfigLoader.Loaded loaded, CancellationToken cancellation)
    {
        var cfg = loaded.Config;
        Directory.CreateDirectory(cfg.StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        var owned = new List<IDisposable>();
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
            // The static Log (used below before the host exists) and the host's loggers write to the same sinks; Program
            // flushes and disposes it at exit.
            Log.Logger = DaemonLogging.Create(cfg);
            builder.Services.AddSerilog(Log.Logger, dispose: false);

            // Taken first: a socket systemd passed is checked against the configuration before anything is opened.
            var inherited = SocketActivation.Take();
            if (inherited is not null)
            {
                CheckInherited(inherited, cfg);
            }

            LogWhereToReach(cfg);
            StateFiles.RequireReadable(cfg.StateDirectory);
            var simulatorTokens = cfg.Tokens.Where(t => t.Kind == TokenKind.Simulator).ToList();
            SimulatorRoot? root = null;
            if (simulatorTokens.Count > 0)
            {
                Log.Warning("SIMULATOR: token(s) {Tokens} are software simulations of a YubiKey. Their keys are NOT hardware-protected: demos and tests only.", string.Join(", ", simulatorTokens.Select(t => t.Name)));
                root = SimulatorRoot.LoadOrCreate(cfg.SimulatorRoot);
                owned.Add(root);
                Log.Information("Simulator: attestations chain to the root CA in {Root} (keycustody-hwsim root-cert --root {Root} prints it)", cfg.SimulatorRoot);
            }

            var hosts = new List<TokenHost>(cfg.Tokens.Count);
            foreach (var t in cfg.Tokens)
            {
                var host = OpenHost(t, cfg.Limits, root);
                owned.Add(host);
                hosts.Add(host);
            }

            RoomForBlockingTokens(hosts);
#pragma warning disable CA2000 // Owned from here on: disposed with the host, or in the catch below.
            if (SimulatorControl.Start(cfg.StateDirectory, hosts) is { } control)
#pragma warning restore CA2000
            {
                owned.Insert(0, control);
            }

            AuditLog audit;
            try
            {
                audit = AuditLog.Open(cfg.AuditPath, anchoring: Anchoring(cfg, loaded.AcceptAuditGap));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new DaemonStartException($"audit log: {e.Message}", e);
            }

            owned.Add(audit);
            var metrics = new DaemonMetrics(cfg);
            audit.Committed = metrics.AuditCommitted;
            // The head in the journal too, at start and at stop: a record outside the state directory of where the chain stood.
            Log.Information("Audit log {AuditLog} opened: head seq {Seq}, hash {Hash}", cfg.AuditPath, audit.Head.Seq, audit.Head.Hash);
            ProvenanceFile provenanceFile;
            try
            {
                provenanceFile = ProvenanceFile.Open(cfg.StateDirectory);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new DaemonStartException($"key provenance: {e.Message}", e);
            }

            var roots = new AttestationRoots(cfg.Attestation, root?.Certificate);
            owned.Add(roots);
            var provenance = new KeyProvenanceBook(provenanceFile, roots, TimeProvider.System) { Audit = r => audit.Append(r) };
            var registry = new KeyRegistry(cfg.Keys.Select(k => new KeyEntry(k, hosts.First(h => h.Name == k.Token))), cfg.StateDirectory, cfg.AllowSoftwareMasterKey, provenance);
            // Reported only after the simulator bootstrap below: on a first start the demo keys it is about to generate
            // are missing here, and a warning about them would be false a moment later.
            registry.Refresh();

            var s = builder.Services;
            s.AddSingleton(cfg);
            s.AddSingleton<IReadOnlyList<TokenHost>>(hosts);
            s.AddSingleton(audit);
            s.AddSingleton(metrics);
            s.AddSingleton(registry);
            s.AddSingleton(provenance);
            s.AddSingleton(cfg.Access);
            s.AddSingleton(TimeProvider.System);
            s.AddSingleton(sp => new ApprovalBroker(cfg.Access, cfg.Presence.ApproverMustDiffer, TimeProvider.System));
            s.AddSingleton(new IdentityStore(cfg.StateDirectory));
            s.AddSingleton<OperationStages>();
            s.AddSingleton<SigningPipeline>();
            s.AddSingleton<KeyAdministration>();
            s.AddSingleton<SimulatorBootstrap>();
            s.AddSingleton<HealthServiceImpl>();
            s.AddSingleton<HealthMonitor>();
            s.AddHostedService(sp => sp.GetRequiredService<HealthMonitor>());
            s.AddSingleton<ServiceStatus>();
            s.AddSingleton(sp => new WatchdogProbes(sp.GetRequiredService<AuditLog>(), cfg.UnixSocket));
            s.AddHostedService<Watchdog>();
            s.AddSingleton(loaded);
            s.AddSingleton<ConfigReload>();
            // Kestrel takes its buffer pools from this factory (the last one registered), so the trim can give them back.
            s.AddSingleton<ServerBuffers>();
            s.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>>(sp => sp.GetRequiredService<ServerBuffers>());
            s.AddHostedService<IdleMemoryTrim>();
            if (cfg.Metrics is { } metricsListen)
            {
                s.AddHostedService(sp => new MetricsServer(metricsListen, metrics, sp.GetRequiredService<ILogger<MetricsServer>>()));
            }
            s.AddGrpc(o =>
            {
                o.EnableDetailedErrors = false;
                o.MaxReceiveMessageSize = (int)Math.Min(64L * 1024 * 1024, ((long)cfg.Limits.MaxJsonBytes * cfg.Limits.MaxBatch) + (64 * 1024));
                o.MaxSendMessageSize = 256 * 1024 * 1024;
            });
            s.UseStrictRequestBinding();
            s.AddGrpcReflection();
            ConfigureKestrel(builder, cfg, inherited);

            var app = builder.Build();
            app.MapGrpcService<CustodyService>();
            app.MapGrpcService<AdminService>();
            app.MapGrpcService<HealthServiceImpl>();
            app.MapGrpcReflectionService();

            if (simulatorTokens.Any(t => t.DemoKeys))
            {
                try
                {
                    await app.Services.GetRequiredService<SimulatorBootstrap>().RunAsync(cancellation).ConfigureAwait(false);
                }
                catch (Exception e) when (e is DaemonException or KeyCustody.Tokens.TokenException)
                {
                    // The validator rules out what it can foresee (DemoKeysChecks); anything else is still one line, exit 2,
                    // after the keys' own problems (an untrusted master key, a missing key), which may say why.
                    StartupKeyLog.Write(registry);
                    throw new DaemonStartException($"demo keys: {e.Message}", e);
                }
            }

            StartupKeyLog.Write(registry);
            StartupKeyLog.WriteKnownIssues(hosts);
            metrics.Watch(hosts, app.Services.GetRequiredService<ApprovalBroker>(), audit);
            app.Services.GetRequiredService<HealthMonitor>().Check();
            if (inherited is null)
            {
                PrepareSocketPath(cfg.UnixSocket);
            }

            await app.StartAsync(cancellation).ConfigureAwait(false);
            if (inherited is not null)
            {
                Log.Information("Listening on unix:{Socket}, the socket systemd passed ({Name}; mode and group are keycustodyd.socket's)", inherited.Path, inherited.Name);
            }
            else if (cfg.UnixSocket is not null)
            {
                File.SetUnixFileMode(cfg.UnixSocket, cfg.SocketMode);
                if (cfg.SocketGroup is { } gid)
                {
                    Posix.ChangeGroup(cfg.UnixSocket, gid);
                }

                Log.Information("Listening on unix:{Socket} (mode {Mode})", cfg.UnixSocket, Convert.ToString((int)cfg.SocketMode, 8));
            }

            if (cfg.Tcp is { } tcp)
            {
                Log.Information("Listening on {Host}:{Port} (mutual TLS)", tcp.Host, tcp.Port);
            }

            app.Services.GetRequiredService<ConfigReload>().Listen();
            app.Lifetime.ApplicationStopping.Register(static () =>
            {
                try
                {
                    SdNotify.Send("STOPPING=1");
                }
                catch (SocketException)
                {
                    // Stopping anyway.
                }
            });
            SdNotify.Send("READY=1\n" + SdNotify.Status(app.Services.GetRequiredService<ServiceStatus>().Text));
            return new DaemonHost(app, owned);
        }
        catch
        {
            foreach (var d in owned)
            {
                d.Dispose();
            }

            throw;
        }
    }

    /// <summary>A token's host; a simulated card whose state file is not one (truncated, edited) is one line at start, exit 2.</summary>
    private static TokenHost OpenHost(TokenSettings settings, LimitsConfig limits, SimulatorRoot? root)
    {
        try
        {
            return TokenHost.Create(settings, limits, root);
        }
        catch (InvalidDataException e)
        {
            throw new DaemonStartException(SimulatorStateProblem(settings, e));
        }
    }

    /// <summary>What to say of a simulated card's state file that cannot be read, and what to do.</summary>
    internal static string SimulatorStateProblem(TokenSettings settings, InvalidDataException e) =>
        $"token {settings.Name}: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : string.Empty)}; " +
        "restore it from a backup, or move it away to start that simulated card blank (its keys are then gone)";

    /// <summary>
    /// Among the first lines: where the socket will be and whether `keycustody` finds it without --socket (the daemon may
    /// spend a while making demo keys before it listens).
    /// </summary>
    private static void LogWhereToReach(ValidatedConfig cfg)
    {
        if (cfg.UnixSocket is not { } socket)
        {
            return;
        }

        var reach = socket == DaemonSockets.System
            ? "keycustody finds it without --socket"
            : socket == DaemonSockets.Simulator()
                ? File.Exists(DaemonSockets.System)
                    ? $"a system keycustodyd listens on {DaemonSockets.System}, which keycustody prefers: give keycustody --socket {socket}"
                    : "keycustody finds it without --socket when no system keycustodyd is running"
                : $"callers give keycustody --socket {socket} (or set KEYCUSTODY_SOCKET={socket})";
        Log.Information("The socket is unix:{Socket}: {Reach}", socket, reach);
    }

    /// <summary>The anchor beside pins.json, whether this state directory was used before, and what the operator accepted.</summary>
    private static AuditAnchoring Anchoring(ValidatedConfig cfg, long? accept) =>
        AuditAnchoring.For(cfg.StateDirectory, accept, $"keycustodyd --accept-audit-gap {accept}, run by uid {Posix.EffectiveUid}");

    /// <summary>
    /// The socket systemd passed must be the one the configuration names, with its mode and group: the CLI, the docs and
    /// --check-config read the configuration, and a socket unit looser than it would widen who may connect unseen.
    /// </summary>
    private static void CheckInherited(InheritedSocket inherited, ValidatedConfig cfg)
    {
        if (cfg.UnixSocket != inherited.Path)
        {
            throw new DaemonStartException($"systemd passed a socket bound to {inherited.Path}, but listen.unixSocket is {cfg.UnixSocket ?? "not set"}: make ListenStream= in keycustodyd.socket and listen.unixSocket the same path");
        }

        var (mode, owner, gid) = Posix.Stat(inherited.Path);

        // The socket's owner may chmod and chgrp it at will, and so decide who may connect: only root or the daemon itself.
        if (owner != 0 && owner != Posix.EffectiveUid)
        {
            throw new DaemonStartException($"the socket systemd passed ({inherited.Path}) is owned by uid {owner}, but only root (uid 0) or keycustodyd's own uid ({Posix.EffectiveUid}) may own it: its owner could change who may connect; remove SocketUser= from keycustodyd.socket or make it root or the daemon's user");
        }

        var group = cfg.SocketGroup ?? Posix.EffectiveGid;
        if (mode != cfg.SocketMode || gid != group)
        {
            throw new DaemonStartException($"the socket systemd passed ({inherited.Path}) has mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')} and group {gid}, but listen.socketMode is {Convert.ToString((int)cfg.SocketMode, 8).PadLeft(4, '0')} and listen.socketGroup {group}: make SocketMode= and SocketGroup= in keycustodyd.socket say the same");
        }
    }

    /// <summary>
    /// A card operation through PC/SC blocks the thread that runs it for the card's whole answer (a YubiKey signs in
    /// about 75 ms). The thread pool starts with one thread per core and grows slowly when they block, so with several
    /// cards busy the calls' own work waited for threads: in short runs of bench/run-cards.sh with 8 cards, the cards were
    /// busy 64-82% of the time, 98% with this. The pool's minimum is raised by one thread per card, so the cards' work
    /// never takes the threads the requests need. Tokens that answer in microseconds (software, SoftHSM2, the in-process
    /// simulator) are not counted: more idle threads than cores cost the daemon bench's software-token calls 5-20% more
    /// CPU each (282 against 235 µs per signature at 8 clients) when every token was counted.
    /// </summary>
    private static void RoomForBlockingTokens(IReadOnlyList<TokenHost> hosts)
    {
        var blocking = hosts.Where(h => h.Settings.Kind is TokenKind.Piv or TokenKind.OpenPgp).Sum(h => h.Queue.Concurrency);
        ThreadPool.GetMinThreads(out var workers, out var io);
        var wanted = Environment.ProcessorCount + blocking;
        if (wanted > workers)
        {
            ThreadPool.SetMinThreads(wanted, io);
        }
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder, ValidatedConfig cfg, InheritedSocket? inherited)
    {
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = LimitsConfig.MaxConnections;
            var perPeer = new PeerConnectionCap(cfg.Limits.MaxConnectionsPerPeer, TimeSpan.FromMinutes(1), (peer, limit, refused) =>
                Log.Warning("Connection refused: {Peer} already holds {Limit} connections (limits.maxConnectionsPerPeer); {Refused} refused since the last such line, logged at most once a minute per peer", peer, limit, refused));
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(cfg.Limits.IdleConnectionSeconds);
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
            k.Limits.Http2.MaxStreamsPerConnection = 256;
            void Unix(ListenOptions lo)
            {
                lo.Protocols = HttpProtocols.Http2;
                lo.Use(next => async connection =>
                {
                    var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
                    var principal = socket is null ? null : PeerCredentials.Read(socket);
                    if (principal is null)
                    {
                        // No kernel-vouched identity: nothing is served anonymously.
                        connection.Abort();
                        return;
                    }

                    connection.Features.Set(new PeerPrincipalFeature(principal));
                    await WithinPeerCap(perPeer, PeerConnectionCap.KeyOf(principal), connection, next).ConfigureAwait(false);
                });
            }

            if (inherited is not null)
            {
                // systemd's socket, already bound and listening: Kestrel accepts on it and closes only its own copy.
                k.ListenHandle((ulong)inherited.Descriptor, Unix);
            }
            else if (cfg.UnixSocket is { } path)
            {
                k.ListenUnixSocket(path, Unix);
            }

            if (cfg.Tcp is { } tcp)
            {
                var address = tcp.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(tcp.Host);
                k.Listen(address, tcp.Port, lo =>
                {
                    lo.Protocols = HttpProtocols.Http2;
                    lo.UseHttps(https =>
                    {
                        https.ServerCertificate = X509Certificate2.CreateFromPemFile(tcp.Certificate, tcp.PrivateKey);
                        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                        https.HandshakeTimeout = TimeSpan.FromSeconds(tcp.HandshakeTimeoutSeconds);
                        var trust = new X509Certificate2Collection();
                        trust.ImportFromPemFile(tcp.ClientCa);
                        https.ClientCertificateValidation = (certificate, _, _) => ClientCertificates.ChainsTo(certificate, trust);
                    });

                    // After the handshake: the certificate's subject is the peer (a handshake that never ends meets its timeout).
                    lo.Use(next => connection =>
                    {
                        var subject = connection.Features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>()?.ClientCertificate?.Subject;
                        return subject is null ? next(connection) : WithinPeerCap(perPeer, PeerConnectionCap.KeyOf(Principal.FromCertificate(subject)), connection, next);
                    });
                });
            }
        });
    }

    /// <summary>Serves <paramref name="connection"/> if <paramref name="peer"/> is under its connection limit; closes it at once if not.</summary>
    private static async Task WithinPeerCap(PeerConnectionCap cap, string peer, Microsoft.AspNetCore.Connections.ConnectionContext connection, Microsoft.AspNetCore.Connections.ConnectionDelegate next)
    {
        if (!cap.TryOpen(peer))
        {
            connection.Abort();
            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            cap.Closed(peer);
        }
    }

    /// <summary>A leftover socket file from a crash is removed; a live daemon on it is an error.</summary>
    internal static void PrepareSocketPath(string? path, string setting = "listen.unixSocket")
    {
        if (path is null || !File.Exists(path))
        {
            if (path is not null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            }

            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            throw new DaemonStartException($"another process is listening on {path}; stop it or choose another {setting}");
        }
        catch (SocketException)
        {
            File.Delete(path);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().ConfigureAwait(false);
        var audit = App.Services.GetRequiredService<AuditLog>();
        Log.Information("Audit log {AuditLog} closed: head seq {Seq}, hash {Hash}", audit.Path, audit.Head.Seq, audit.Head.Hash);
        await App.DisposeAsync().ConfigureAwait(false);
        foreach (var d in _owned)
        {
            d.Dispose();
        }
    }
}
