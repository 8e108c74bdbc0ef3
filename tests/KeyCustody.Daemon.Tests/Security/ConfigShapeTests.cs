using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// The configuration is the access policy, so a setting written in the wrong shape (a list or an object where one value
/// belongs, one value where a list belongs) must be refused naming it, never bound as if it were absent. The binder the
/// daemon is compiled with (the configuration-binding source generator) binds a single-value setting given a list or
/// an object as null and a list given one value as empty, without an error, so ConfigLoader.FindUnknown checks each
/// setting's shape as well as its name. (The reflection binder before it refused such a setting at the top level and
/// silently dropped the whole list entry, key, rule or token, that held one: wrong too, but closed.)
/// </summary>
public sealed class ConfigShapeTests
{
    private const uint Nobody = 65534;

    /// <summary>
    /// Four eyes written as a list ("requireApprover": ["uid:65534"]): the native daemon bound the master key with no
    /// required approver, and it signed on a touch alone. Before (352bd25) the key was dropped (NOT_FOUND): closed.
    /// </summary>
    [Fact]
    public async Task A_master_key_whose_required_approver_is_written_as_a_list_never_signs_without_that_approver()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", 20000041) },
            keys = new object[] { new { name = "alice-master", token = "yk", keyId = "9c", role = "master", owner = User, requireApprover = new[] { $"uid:{Nobody}" } } },
            access = new[] { Rule(Me, ["*"], "sign", "admin"), Rule($"uid:{Nobody}", ["alice-master"], "approve") },
            // A request that does wait for the approver ends at once instead of holding the test.
            presence = new { approvalTimeoutSeconds = 1 },
        });
        try
        {
            await d.StartAsync();
        }
        catch (InvalidOperationException refused)
        {
            // Refusing the configuration is a right answer.
            Assert.Contains("keys[0].requireApprover", refused.Message, StringComparison.Ordinal);
            return;
        }

        using var client = d.Client();
        using var other = Ed25519SoftwareKey.Generate();
        var backup = KeyCustody.Matrix.Json.JsonObject.Of(("public_key", other.PublicKey.Base64));
        var (events, error) = await Collect(client.Custody.SignJson(SignRequest("alice-master", backup)));
        var signedWithoutApprover = error is null && events[^1].EventCase == SignEvent.EventOneofCase.Signed
            && !events.Any(e => e.EventCase == SignEvent.EventOneofCase.PresenceRequired && e.PresenceRequired.Method == PresenceRequired.Types.Method.Operator);
        Assert.False(signedWithoutApprover, $"the master key signed without uid:{Nobody}'s approval: requireApprover written as a list was bound as absent");
    }

    public static TheoryData<string, string> WrongShapes() => new()
    {
        { "requireApprover as a list", "keys[0].requireApprover" },
        { "requireApprover as an object", "keys[0].requireApprover" },
        { "publicKey as a list", "keys[0].publicKey" },
        { "socketGroup as a list", "listen.socketGroup" },
        { "pin as a plain string", "tokens[0].pin" },
        { "access keys as one value on the command line", "access[0].keys" },
        { "approverMustDiffer empty", "presence.approverMustDiffer: no value" },
        { "approverMustDiffer null", "presence.approverMustDiffer: no value" },
    };

    /// <summary>--check-config names the setting; it used to say the configuration was valid (exit 0).</summary>
    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task A_setting_in_the_wrong_shape_is_refused_naming_it(string what, string setting)
    {
        await using var d = DaemonProcess.Create();
        var soft = Software(d, "soft");
        var srv = new { name = "srv", token = "soft", keyId = "srv", role = "server", owner = "example.org", version = "1", presence = "none" };
        var narrowRule = Rule(Me, ["*"], "sign");
        object config = what switch
        {
            "requireApprover as a list" => new { tokens = new[] { soft }, keys = new object[] { new { srv.name, srv.token, srv.keyId, srv.role, srv.owner, srv.version, requireApprover = new[] { $"uid:{Nobody}" } } } },
            "requireApprover as an object" => new { tokens = new[] { soft }, keys = new object[] { new { srv.name, srv.token, srv.keyId, srv.role, srv.owner, srv.version, requireApprover = new { principal = $"uid:{Nobody}" } } } },
            "publicKey as a list" => new { tokens = new[] { soft }, keys = new object[] { new { srv.name, srv.token, srv.keyId, srv.role, srv.owner, srv.version, srv.presence, publicKey = new[] { "l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ" } } } },
            "socketGroup as a list" => new { listen = new { socketGroup = new[] { "root" } }, tokens = new[] { soft } },
            "pin as a plain string" => new { tokens = new object[] { new { name = "p", kind = "piv", serial = 1, pin = "123456" } } },
            "approverMustDiffer empty" => new { tokens = new[] { soft }, presence = new { approverMustDiffer = "" } },
            // Written as JSON null below: the test harness leaves null members out.
            "approverMustDiffer null" => new { tokens = new[] { soft }, presence = new { approverMustDiffer = "NULL" } },
            _ => new { tokens = new[] { soft }, keys = new[] { srv }, access = new[] { narrowRule } },
        };
        d.Configure(config);
        if (what == "approverMustDiffer null")
        {
            File.WriteAllText(d.ConfigFile, File.ReadAllText(d.ConfigFile).Replace("\"NULL\"", "null", StringComparison.Ordinal));
        }

        // An operator narrowing rule 0 from "*" to one key: as one value the override was ignored and "*" stayed.
        var arguments = what == "access keys as one value on the command line"
            ? new[] { "--config", d.ConfigFile, "--check-config", "--access:0:keys=srv" }
            : new[] { "--config", d.ConfigFile, "--check-config" };
        var (exit, stdout, stderr) = d.RunToEnd(arguments);
        Assert.True(exit == 2, $"{what}: --check-config exited {exit}:\n{stdout}{stderr}");
        Assert.Contains(setting, stderr, StringComparison.Ordinal);
    }
}
