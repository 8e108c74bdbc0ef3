using System.Diagnostics;
using KeyCustody.Client;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// MemoryDenyWriteExecute=yes as Debian 12's systemd (252) enforces it: a seccomp filter, not prctl(PR_SET_MDWE) (Linux
/// 6.3+; Debian 12's kernel is 6.1, and systemd uses the prctl only from 254 on). The filter is stricter than the
/// kernel's rule: it refuses every mprotect() that asks for PROT_EXEC, even on memory that is executable already (the
/// kernel's rule refuses only a gain of execute). This launcher installs the same four rules
/// (src/shared/seccomp-util.c, seccomp_memory_deny_write_execute: mmap with PROT_WRITE|PROT_EXEC, mprotect and
/// pkey_mprotect with PROT_EXEC, shmat with SHM_EXEC; EPERM) and execs the daemon, which then goes down the native paths
/// WriteXorExecuteTests does not: a PKCS#11 module dlopen'd (SoftHSM2, its libcrypto), key generation and signing on it,
/// the mutual-TLS listener (OpenSSL) with a call over it, the Prometheus listener and a reload (SIGHUP).
/// </summary>
public sealed class SystemdWriteXorExecuteTests
{
    /// <summary>systemd 252's MemoryDenyWriteExecute=yes filter (x86_64 and arm64 alike: mmap is the call there too).</summary>
    private const string Launcher = """
        import errno, os, sys, seccomp
        f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        PROT_WRITE, PROT_EXEC, SHM_EXEC = 2, 4, 0o100000
        refuse = seccomp.ERRNO(errno.EPERM)
        f.add_rule(refuse, "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC | PROT_WRITE, PROT_EXEC | PROT_WRITE))
        f.add_rule(refuse, "mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
        f.add_rule(refuse, "pkey_mprotect", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
        f.add_rule(refuse, "shmat", seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
        f.load()
        os.execvp(sys.argv[1], sys.argv[1:])
        """;

    [Fact]
    public async Task The_daemon_signs_on_pkcs11_over_tls_serves_metrics_and_reloads_under_systemds_filter()
    {
        await using var d = DaemonProcess.Create();
        var hsm = new SoftHsmTokens(d.Root);
        hsm.CreateToken("custody");
        d.Environment[SoftHsmTokens.ConfigVariable] = hsm.ConfigPath;
        using var ca = TestCertificates.Ca("CN=KeyCustody test CA");
        using var server = TestCertificates.Issue(ca, "CN=localhost", serverAuth: true, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var bot = TestCertificates.Issue(ca, "CN=bot", serverAuth: false, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var (certPem, keyPem, caPem) = TestCertificates.WriteServerFiles(d.Root, server, ca);
        var (tlsPort, metricsPort) = (TestCertificates.FreePort(), TestCertificates.FreePort());
        d.Configure(new
        {
            listen = new { tcp = new { endpoint = $"127.0.0.1:{tlsPort}", certificate = certPem, privateKey = keyPem, clientCa = caPem, handshakeTimeoutSeconds = 300 } },
            metrics = new { listen = $"127.0.0.1:{metricsPort}" },
            tokens = new object[]
            {
                new { name = "hsm", kind = "pkcs11", module = SoftHsmTokens.Module, tokenLabel = "custody", sessions = 1, pin = new { file = SecretFile(d, "hsm.pin", SoftHsmTokens.UserPin) } },
            },
            keys = new[] { Key("srv", "hsm", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule("cert:CN=bot", ["srv"], "sign"), Rule(Me, ["*"], "admin") },
        });
        d.Launcher = UnderSystemdFilter;
        await d.StartAsync();
        await d.WaitForOutputAsync($"Listening on 127.0.0.1:{tlsPort} (mutual TLS)");

        using (var local = d.Client())
        {
            await Generate(local, "hsm", "srv");
        }

        using (var remote = KeyCustodyClient.ConnectTls(new Uri($"https://localhost:{tlsPort}"), bot, [ca]))
        {
            var signed = await KeyCustodyClient.FollowAsync(remote.Custody.SignJson(SignRequest("srv", KeyCustody.Matrix.Json.JsonObject.Of(("a", 1L)))), null);
            Assert.Equal("ed25519:1", signed.KeyId);
        }

        using (var http = new HttpClient())
        {
            var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
            Assert.Contains("keycustody_requests_total{key=\"srv\",operation=\"sign_json\",result=\"signed\"} 1", metrics, StringComparison.Ordinal);
        }

        Assert.Equal(0, Posix.Kill(d.Pid, 1));
        await d.WaitForOutputAsync("Configuration reloaded");
        using (var remote = KeyCustodyClient.ConnectTls(new Uri($"https://localhost:{tlsPort}"), bot, [ca]))
        {
            var again = await KeyCustodyClient.FollowAsync(remote.Custody.SignJson(SignRequest("srv", KeyCustody.Matrix.Json.JsonObject.Of(("a", 2L)))), null);
            Assert.Equal("ed25519:1", again.KeyId);
        }
    }

    /// <summary>The filter is not a no-op: a JIT-compiled .NET program dies under it.</summary>
    [Fact]
    public async Task The_filter_stops_a_program_that_makes_code_at_run_time()
    {
        var start = UnderSystemdFilter(new ProcessStartInfo("dotnet") { ArgumentList = { Binaries.Cli, "--version" } });
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode != 0, $"dotnet keycustody.dll ran under systemd's MemoryDenyWriteExecute filter: {await output}{error}");
    }

    private static ProcessStartInfo UnderSystemdFilter(ProcessStartInfo program) => PythonLauncher.Under(Launcher, program);

}
