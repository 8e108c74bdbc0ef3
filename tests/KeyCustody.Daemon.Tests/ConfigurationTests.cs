using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>The daemon refuses to start on a bad configuration, naming the setting; overrides and the socket mode work.</summary>
public sealed class ConfigurationTests
{
    public static TheoryData<string, string> BadConfigurations() => new()
    {
        { "pin value in the file", "tokens[0].pin.value: secrets never come from the configuration file" },
        { "unknown token kind", "tokens[0].kind: 'tpm' is not one of piv, openpgp, pkcs11, software, simulator" },
        { "piv without serial", "tokens[0].serial: required: YubiKeys are chosen by serial, never by reader" },
        { "key on a missing token", "keys[0].token: no token named 'nowhere' in tokens" },
        { "master key on software", "keys[0].token: the master key must be on a hardware token" },
        { "bad owner", "keys[0].owner: 'alice' is not a Matrix user ID like @alice:example.org" },
        { "world-connectable socket", "listen.socketMode: 0666 lets every local user connect" },
        { "bad access principal", "access[0].principal: 'root' is not uid:N, gid:N, user:NAME, group:NAME or cert:SUBJECT" },
        { "bad operation", "access[0].operations: 'everything' is not one of sign, approve, admin" },
        { "no presence for a master key", "keys[0].presence: a master key always needs a presence confirmation" },
        { "tcp without client ca", "listen.tcp.clientCa: required: TCP is served with mutual TLS only" },
        { "misspelt setting", "keys[0].presense: no such setting (misspelt?)" },
        { "unknown approver", "keys[0].requireApprover: 'user:nosuchuser' is not uid:N" },
        { "touch cache on a real card", "tokens[0].touchCacheSeconds: only simulator tokens: a real card caches a touch for as long as its maker fixed (a YubiKey 15 s)" },
        { "serial not a number", "tokens[0].serial: '0x12G4' is not a card serial: decimal digits, or hex as 0x1A2B3C4D (at most 32 bits)" },
        { "serial over 32 bits", "tokens[0].serial: '4294967296' is not a card serial" },
        { "a number setting given words", "configuration: Failed to convert configuration value 'two' at 'Tokens:0:Sessions' to type 'System.Int32'." },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task A_bad_configuration_is_refused_naming_the_setting(string what, string message)
    {
        await using var d = DaemonProcess.Create();
        var soft = Software(d, "soft");
        object config = what switch
        {
            "pin value in the file" => new { tokens = new object[] { new { name = "p", kind = "piv", serial = 1, pin = new { value = "123456" } } } },
            "unknown token kind" => new { tokens = new object[] { new { name = "t", kind = "tpm" } } },
            "piv without serial" => new { tokens = new object[] { new { name = "p", kind = "piv" } } },
            "key on a missing token" => new { tokens = new[] { soft }, keys = new[] { Key("k", "nowhere", "x", "self_signing") } },
            "master key on software" => new { tokens = new[] { soft }, keys = new[] { Key("k", "soft", "x", "master") } },
            "bad owner" => new { tokens = new[] { soft }, keys = new[] { Key("k", "soft", "x", "self_signing", owner: "alice") } },
            "world-connectable socket" => new { listen = new { socketMode = "0666" }, tokens = new[] { soft } },
            "bad access principal" => new { tokens = new[] { soft }, access = new[] { Rule("root", ["*"], "sign") } },
            "bad operation" => new { tokens = new[] { soft }, access = new[] { Rule(Me, ["*"], "everything") } },
            "no presence for a master key" => new { tokens = new[] { Simulator(d, "yk", 1) }, keys = new[] { Key("k", "yk", "9c", "master", presence: "none") } },
            "misspelt setting" => new { tokens = new[] { soft }, keys = new object[] { new { name = "k", token = "soft", keyId = "x", role = "server", owner = "example.org", version = "1", presense = "none" } } },
            "touch cache on a real card" => new { tokens = new object[] { new { name = "p", kind = "piv", serial = 1, touchCacheSeconds = 600 } } },
            "serial not a number" => new { tokens = new object[] { new { name = "p", kind = "piv", serial = "0x12G4" } } },
            "serial over 32 bits" => new { tokens = new object[] { new { name = "p", kind = "piv", serial = 4294967296 } } },
            "a number setting given words" => new { tokens = new object[] { new { name = "h", kind = "pkcs11", module = "/nonexistent.so", tokenLabel = "x", sessions = "two" } } },
            "unknown approver" => new { tokens = new[] { soft }, keys = new[] { Key("k", "soft", "x", "self_signing", requireApprover: "user:nosuchuser") } },
            _ => new { listen = new { tcp = new { endpoint = "127.0.0.1:7443" } }, tokens = new[] { soft } },
        };
        d.Configure(config);
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    /// <summary>
    /// An error in one key used to shift the index of later keys' backupOf errors (keys[0].backupOf for keys[2]), and a
    /// backup of a key refused for its own reason was reported as wrong too.
    /// </summary>
    [Fact]
    public async Task BackupOf_errors_name_the_entry_as_written_and_not_a_backup_of_a_refused_key()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", 1), Simulator(d, "yk2", 2) },
            keys = new object[]
            {
                new { name = "m", token = "yk", keyId = "9c", role = "master", owner = User, presence = "nonee" },
                new { name = "m-backup", token = "yk2", keyId = "9c", role = "master", owner = User, backupOf = "m" },
                new { name = "s", token = "yk", keyId = "9a", role = "self_signing", owner = User },
                new { name = "s-backup", token = "yk", keyId = "9d", role = "self_signing", owner = User, backupOf = "s" },
            },
        });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("keys[0].presence", output, StringComparison.Ordinal);
        Assert.Contains("keys[3].backupOf: 's' must be another configured key", output, StringComparison.Ordinal);
        Assert.DoesNotContain("keys[1].backupOf", output, StringComparison.Ordinal);
        Assert.DoesNotContain("keys[2].backupOf", output, StringComparison.Ordinal);
        Assert.DoesNotContain("keys[0].backupOf", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configuration_file_others_can_write_is_refused()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new { tokens = new[] { Software(d, "soft") } });
        File.SetUnixFileMode(d.ConfigFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite);
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("is writable by other users", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pin_file_others_can_read_is_refused()
    {
        await using var d = DaemonProcess.Create();
        var pin = SecretFile(d, "pin", "123456");
        File.SetUnixFileMode(pin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        d.Configure(new { tokens = new object[] { new { name = "p", kind = "piv", serial = 1, pin = new { file = pin } } } });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("tokens[0].pin.file", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_overrides_the_file_and_the_socket_gets_its_mode()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Software(d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        d.Environment["KEYCUSTODYD_keys__0__version"] = "7";
        d.Environment["KEYCUSTODYD_listen__socketMode"] = "0640";
        await d.StartAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(d.Socket));
        using var client = d.Client();
        await Generate(client, "soft", "srv");
        var key = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single();
        Assert.Equal("ed25519:7", key.KeyId);
    }
}
