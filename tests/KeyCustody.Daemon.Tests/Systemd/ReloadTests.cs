using Grpc.Core;
using KeyCustody.Daemon.Hosting;
using KeyCustody.HwSim.Control;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Systemd;

/// <summary>
/// systemctl reload (SIGHUP to the real daemon): the access rules change under a request that waits for a touch on the
/// same connection, which still completes; a file that is invalid, or changes anything but the access rules, is refused
/// whole (logged, audited, in STATUS=) and the rules in force stay. RELOADING=1 and READY=1 frame each reload.
/// </summary>
public sealed class ReloadTests : IAsyncLifetime
{
    private const uint Serial = 4_400_001;
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private NotifySocket _notify = null!;

    public async Task InitializeAsync()
    {
        _notify = new NotifySocket(Path.Combine(_d.Root, "notify"));
        _d.Environment["NOTIFY_SOCKET"] = _notify.Path;
        _d.Configure(Config(Rule(Me, ["*"], "sign", "admin")));
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "yk", "9a", pin: "never", touch: "always");
        await Generate(client, "soft", "srv");
    }

    public async Task DisposeAsync()
    {
        await _d.DisposeAsync();
        _notify.Dispose();
    }

    private object Config(object rule, string softPresence = "none") => Config([rule], softPresence);

    private object Config(object[] rules, string softPresence = "none") => new
    {
        tokens = new[] { Simulator(_d, "yk", Serial, touch: "manual", touchTimeoutMs: 300_000, demoKeys: false), Software(_d, "soft") },
        keys = new[]
        {
            Key("yk-srv", "yk", "9a", "server", owner: "example.org", version: "yk"),
            Key("soft-srv", "soft", "srv", "server", owner: "example.org", presence: softPresence, version: "soft"),
        },
        access = rules,
    };

    private static SignJsonRequest Payload(string key) => SignRequest(key, JsonObject.Of(("server_name", "example.org")));

    [Fact]
    public async Task New_rules_apply_at_once_and_a_request_waiting_on_the_same_connection_still_completes()
    {
        using var client = _d.Client();
        Assert.Null((await Collect(client.Custody.SignJson(Payload("soft-srv")))).Error);

        using var waiting = client.Custody.SignJson(Payload("yk-srv"));
        Assert.True(await waiting.ResponseStream.MoveNext(CancellationToken.None));
        Assert.True(await waiting.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SignEvent.EventOneofCase.PresenceRequired, waiting.ResponseStream.Current.EventCase);

        _d.Configure(Config(Rule(Me, ["yk-*"], "sign", "admin")));
        var ready = await Reload();
        Assert.StartsWith("serving, 2 of 2 tokens present; reloaded ", NotifySocket.Field(ready, "STATUS"), StringComparison.Ordinal);
        Assert.EndsWith(": 1 access rules", NotifySocket.Field(ready, "STATUS"), StringComparison.Ordinal);

        var (_, denied) = await Collect(client.Custody.SignJson(Payload("soft-srv")));
        Assert.Equal(StatusCode.PermissionDenied, denied!.StatusCode);

        Touch();
        Assert.True(await waiting.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SignEvent.EventOneofCase.Signed, waiting.ResponseStream.Current.EventCase);

        var reload = Assert.Single(ReadAudit(_d), r => r.GetString("kind") == "config_reload");
        Assert.Equal("applied", reload.GetString("result"));
        Assert.Contains("Configuration reloaded: 1 access rules in force", _d.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_that_widens_access_records_the_file_it_applied_and_the_rules_added_and_removed()
    {
        _d.Configure(Config([Rule(Me, ["*"], "sign", "admin"), Rule("uid:65534", ["soft-srv"], "sign", "approve")]));
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(_d.ConfigFile)));
        await Reload();

        var reload = Assert.Single(ReadAudit(_d), r => r.GetString("kind") == "config_reload");
        Assert.Equal(("applied", sha256), (reload.GetString("result"), reload.GetString("config_sha256")));
        const string Added = "uid:65534=uid:65534 keys=soft-srv ops=sign,approve";
        var mine = $"{Me}={Me} keys=* ops=sign,admin";
        Assert.Equal(new[] { mine, Added }, Strings(reload["rules"]));
        Assert.Equal(new[] { Added }, Strings(reload["added"]));
        Assert.Empty(Strings(reload["removed"]));
        Assert.Contains($"(config SHA-256 {sha256}); added: {Added}; removed: none", _d.Output, StringComparison.Ordinal);

        // Narrowed again: the removed rule is named.
        _d.Configure(Config(Rule(Me, ["*"], "sign", "admin")));
        await Reload();
        var second = ReadAudit(_d).Last(r => r.GetString("kind") == "config_reload");
        Assert.Equal(new[] { Added }, Strings(second["removed"]));
        Assert.Empty(Strings(second["added"]));
    }

    private static List<string> Strings(JsonValue? array) => ((JsonArray)array!).Select(v => ((JsonString)v).Value).ToList();

    [Fact]
    public async Task An_invalid_file_or_one_that_changes_more_than_the_rules_is_refused_and_the_rules_in_force_stay()
    {
        using var client = _d.Client();

        _d.Configure(Config(Rule("user:no-such-user-kc14", ["*"], "sign", "admin")));
        var refused = NotifySocket.Field(await Reload(), "STATUS")!;
        Assert.Contains("reload refused ", refused, StringComparison.Ordinal);
        Assert.Contains("1 problem(s) in the configuration; the previous rules stay in force", refused, StringComparison.Ordinal);
        Assert.Null((await Collect(client.Custody.SignJson(Payload("soft-srv")))).Error);

        // The rules change too, but so does a key's presence: nothing is applied, the key setting is named.
        _d.Configure(Config(Rule(Me, ["yk-*"], "sign", "admin"), softPresence: "operator"));
        refused = NotifySocket.Field(await Reload(), "STATUS")!;
        Assert.Contains("1 setting(s) other than the access rules changed; nothing applied", refused, StringComparison.Ordinal);
        Assert.Null((await Collect(client.Custody.SignJson(Payload("soft-srv")))).Error);

        var reloads = ReadAudit(_d).Where(r => r.GetString("kind") == "config_reload").ToList();
        Assert.Equal(["refused", "refused"], reloads.Select(r => r.GetString("result")));
        Assert.Contains("access[0].principal: no user named 'no-such-user-kc14'", reloads[0].ToString(), StringComparison.Ordinal);
        Assert.Contains("keys:1:presence: changed; this setting needs a restart", reloads[1].ToString(), StringComparison.Ordinal);
        Assert.Contains("Configuration reload refused; the access rules in force are unchanged: access[0].principal: no user named 'no-such-user-kc14'", _d.Output, StringComparison.Ordinal);
    }

    /// <summary>SIGHUP, then RELOADING=1 and the READY=1 that ends the reload (returned, with its STATUS=).</summary>
    private async Task<string> Reload()
    {
        Assert.Equal(0, Posix.Kill(_d.Pid, 1));
        await _notify.NextAsync(n => n.StartsWith("RELOADING=1\nMONOTONIC_USEC=", StringComparison.Ordinal));
        var (_, before) = await _notify.NextAsync(n => n.Contains("READY=1", StringComparison.Ordinal));
        return before.Last(n => n.StartsWith("STATUS=", StringComparison.Ordinal)).Insert(0, "READY=1\n");
    }

    /// <summary>Presses the simulated card's button until it took a touch it was waiting for.</summary>
    private void Touch()
    {
        var control = Path.Combine(_d.StateDirectory, SimulatorControl.FileName);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string answer;
        do
        {
            answer = ControlClient.Send(control, $"touch serial={Serial}");
        }
        while (!answer.Contains($"\"touched\":[{Serial}]", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Contains($"\"touched\":[{Serial}]", answer, StringComparison.Ordinal);
    }
}
