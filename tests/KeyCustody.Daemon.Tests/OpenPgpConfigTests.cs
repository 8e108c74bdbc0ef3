using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>`kind: openpgp` in the configuration: what is refused at start (naming the setting), and what --check-config reports.</summary>
public sealed class OpenPgpConfigTests
{
    public static TheoryData<string, string> BadConfigurations() => new()
    {
        { "no serial", "tokens[0].serial: required: OpenPGP cards are chosen by the serial in their application id" },
        { "admin PIN on a PIV token", "tokens[0].adminPin: only OpenPGP tokens have an admin PIN" },
        { "the decryption key", "keys[0].keyId: the OpenPGP decryption key cannot sign" },
        { "a PIV slot", "keys[0].keyId: '9c' is not an OpenPGP key that signs: sig (the signature key" },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task A_bad_openpgp_configuration_is_refused_naming_the_setting(string what, string message)
    {
        await using var d = DaemonProcess.Create();
        var adminPin = SecretFile(d, "admin-pin", "12345678");
        object pgp = new { name = "pgp", kind = "openpgp", serial = 5439532 };
        object config = what switch
        {
            "no serial" => new { tokens = new object[] { new { name = "pgp", kind = "openpgp" } } },
            "admin PIN on a PIV token" => new { tokens = new object[] { new { name = "yk", kind = "piv", serial = 1, adminPin = new { file = adminPin } } } },
            "the decryption key" => new { tokens = new[] { pgp }, keys = new[] { Key("k", "pgp", "dec", "self_signing") } },
            _ => new { tokens = new[] { pgp }, keys = new[] { Key("k", "pgp", "9c", "self_signing") } },
        };
        d.Configure(config);
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    /// <summary>A card whose AID serial is not BCD is named in hex; the admin PIN's source is checked like the PIN's.</summary>
    [Fact]
    public async Task Check_config_reads_a_hex_serial_and_the_admin_pin_source_and_reports_the_card_missing()
    {
        using var pcscd = new PrivatePcscd("check-config-openpgp-");
        await using var d = DaemonProcess.Create();
        var pin = SecretFile(d, "pin", "123456");
        var adminPin = SecretFile(d, "admin-pin", "12345678");
        d.Configure(new
        {
            tokens = new object[] { new { name = "nk3", kind = "openpgp", serial = "0x1A2B3C4D", pin = new { file = pin }, adminPin = new { file = adminPin } } },
            keys = new[] { Key("ssk", "nk3", "OPENPGP.3", "self_signing") },
        });
        d.Environment[PrivatePcscd.SocketVariable] = pcscd.SocketPath;

        var (exit, stdout, stderr) = d.RunToEnd("--config", d.ConfigFile, "--check-config");
        Assert.Equal(2, exit);
        Assert.Contains($"ok: token nk3: adminPin from file {adminPin} is readable", stdout, StringComparison.Ordinal);
        Assert.Contains("error: token nk3 (openpgp): not reachable: ", stderr, StringComparison.Ordinal);
        Assert.Contains($"OpenPGP card with serial {0x1A2B3C4D}", stderr, StringComparison.Ordinal);
    }
}
