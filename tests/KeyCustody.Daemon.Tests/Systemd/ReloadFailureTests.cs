using KeyCustody.Daemon.Audit;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Daemon.Hosting.Systemd;
using KeyCustody.Daemon.Security;
using KeyCustody.Matrix.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace KeyCustody.Daemon.Tests.Systemd;

/// <summary>
/// A reload that fails in a way the loader does not foresee (here a configuration path the file system refuses as an
/// argument, not as a missing or unreadable file) is a refused reload: audited, in STATUS=, the rules kept. Before, the
/// exception left the reload unaudited and, from SIGHUP, unobserved.
/// </summary>
public sealed class ReloadFailureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("reload-failure-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_unforeseen_failure_while_reading_the_configuration_again_is_a_refused_reload()
    {
        var commandLine = new DaemonCommandLine(DaemonAction.Run, "keycustodyd\0.json", Simulator: false, DemoKeys: false, null, null, []);
        var started = new ConfigLoader.Loaded(null!, Simulator: false, "keycustodyd.json") { CommandLine = commandLine };
        var auditPath = Path.Combine(_dir, "audit.jsonl");
        var access = new AccessRules([]);
        var status = new ServiceStatus(TimeProvider.System);
        using (var audit = AuditLog.Open(auditPath))
        using (var reload = new ConfigReload(started, access, new KeyCustody.Daemon.Presence.ApprovalBroker(access, true, TimeProvider.System), audit, status, NullLogger<ConfigReload>.Instance))
        {
            Assert.False(await reload.ReloadAsync());
        }

        Assert.Contains("reload refused ", status.Text, StringComparison.Ordinal);
        Assert.Contains("the configuration could not be read again; the previous rules stay in force", status.Text, StringComparison.Ordinal);
        var record = CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(File.ReadAllLines(auditPath)[^1]));
        Assert.Equal("config_reload", record.GetString("kind"));
        Assert.Equal("refused", record.GetString("result"));
        Assert.Contains("ArgumentException", record.ToString(), StringComparison.Ordinal);
    }
}
