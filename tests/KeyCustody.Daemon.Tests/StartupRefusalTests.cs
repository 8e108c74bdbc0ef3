using Grpc.Core;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// Configurations a newcomer writes that used to hang, end with exit 1, or bury the cause under follow-on errors: each is
/// now one clear error at start (exit 2), or works.
/// </summary>
public sealed class StartupRefusalTests
{
    /// <summary>The demo keys are signed at start, before the socket listens: an approver could never have approved.</summary>
    [Fact]
    public async Task Demo_keys_with_an_approver_on_the_master_key_are_refused_not_a_hang()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", 4_100_001) },
            keys = new[]
            {
                Key("m", "yk", "9c", "master", requireApprover: "uid:4242"),
                Key("s", "yk", "9a", "self_signing"),
                Key("u", "yk", "9d", "user_signing"),
            },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("keys[0].requireApprover: the master key 'm' signs the demo keys at start, before anyone can approve", output, StringComparison.Ordinal);
        Assert.Single(output.Split('\n'), l => l.Contains("keys[", StringComparison.Ordinal) || l.StartsWith("error", StringComparison.Ordinal));
    }

    /// <summary>The bootstrap signs as the daemon's own user through the access rules; without a rule that ended with exit 1.</summary>
    [Fact]
    public async Task Demo_keys_without_a_sign_right_for_the_daemon_are_refused_naming_the_rule_to_add()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", 4_100_002) },
            keys = new[] { Key("m", "yk", "9c", "master"), Key("s", "yk", "9a", "self_signing"), Key("u", "yk", "9d", "user_signing") },
            access = new[] { Rule(Me, ["s", "u"], "sign", "admin") },
        });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"keys[0]: the master key 'm' signs the demo keys at start as keycustodyd's own user ({Me}), and no access rule lets {Me} sign with it", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
    }

    /// <summary>Nobody can touch a card at start: demo keys on a card whose button is manual waited 15 s and ended with exit 1.</summary>
    [Fact]
    public async Task Demo_keys_on_a_card_without_automatic_touch_are_refused()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", 4_100_005, touch: "manual") },
            keys = new[] { Key("m", "yk", "9c", "master"), Key("s", "yk", "9a", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("tokens[0].touch: 'manual' with demoKeys: the master key 'm' signs the demo keys at start, before anyone could touch 'yk'", output, StringComparison.Ordinal);
    }

    /// <summary>A PIN file others can read made the token invalid, and then each of its three keys said "no token named".</summary>
    /// <summary>A simulated card's state file that is not one (truncated, edited by hand) stopped the start with a stack trace.</summary>
    [Fact]
    public async Task A_simulated_card_whose_state_file_is_corrupt_is_one_error_at_start_and_in_the_check()
    {
        await using var d = DaemonProcess.Create();
        var card = Path.Combine(d.Root, "yk.card.json");
        File.WriteAllText(card, "{\"garbage\":");
        File.SetUnixFileMode(card, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        d.Configure(new
        {
            tokens = new[] { Simulator(d, "yk", 4_100_009, demoKeys: false, stateFile: card) },
            keys = new[] { Key("s", "yk", "9a", "self_signing") },
        });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"token yk: state file {card} is not a valid hw-sim state file", output, StringComparison.Ordinal);
        Assert.Contains("move it away to start that simulated card blank", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", output, StringComparison.Ordinal);

        var (checkExit, stdout, stderr) = d.RunToEnd("--config", d.ConfigFile, "--check-config");
        Assert.Equal(2, checkExit);
        Assert.Contains($"state file {card} is not a valid hw-sim state file", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        Assert.Equal("{\"garbage\":", File.ReadAllText(card));
    }

    [Fact]
    public async Task A_bad_pin_file_is_one_error_not_one_per_key_of_its_token()
    {
        await using var d = DaemonProcess.Create();
        var pin = SecretFile(d, "pin", "123456");
        File.SetUnixFileMode(pin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        d.Configure(new
        {
            tokens = new object[] { new { name = "yk", kind = "piv", serial = 1, pin = new { file = pin } } },
            keys = new[] { Key("m", "yk", "9c", "master"), Key("s", "yk", "9a", "self_signing"), Key("u", "yk", "9d", "user_signing") },
        });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Equal($"error: invalid configuration: tokens[0].pin.file: {pin} is readable by other users; chmod 0600 (or 0640 with the daemon's group)", output.Trim());
    }

    /// <summary>
    /// The README promised it and a security reviewer would want it: the file is the access policy (who may sign with
    /// which key on which token), which only the daemon reads. 0644 used to start.
    /// </summary>
    [Fact]
    public async Task A_configuration_file_others_can_read_is_refused_and_one_the_group_can_read_starts()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new { tokens = new[] { Software(d, "soft") }, access = new[] { Rule(Me, ["*"], "sign") } });
        File.SetUnixFileMode(d.ConfigFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"config file: {d.ConfigFile} is readable by other users (mode 644)", output, StringComparison.Ordinal);

        File.SetUnixFileMode(d.ConfigFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        await d.StartAsync();
    }

    /// <summary>The example configuration's credential source outside systemd: found at start, not at the first keys generate.</summary>
    [Fact]
    public async Task A_systemd_credential_outside_systemd_is_refused_at_start()
    {
        await using var d = DaemonProcess.Create();
        d.Unset.Add("CREDENTIALS_DIRECTORY");
        d.Configure(new
        {
            tokens = new object[] { new { name = "yk", kind = "simulator", serial = 4_100_003, pin = new { credential = "yubikey-pin" } } },
        });
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("tokens[0].pin.credential: 'yubikey-pin' is a systemd credential, but CREDENTIALS_DIRECTORY is not set", output, StringComparison.Ordinal);

        // The hint says how to check it as the service will run, not to give up LoadCredential= for a file source.
        var check = d.RunToEnd("--check-config", "--config", d.ConfigFile);
        Assert.True(check.ExitCode == 2, check.Stdout + check.Stderr);
        foreach (var text in new[] { output, check.Stderr })
        {
            Assert.Contains("CREDENTIALS_DIRECTORY=/etc/keycustody/credentials keycustodyd --check-config --config /etc/keycustody/keycustodyd.json", text, StringComparison.Ordinal);
            Assert.Contains("systemd-run --pipe --wait -p LoadCredential=yubikey-pin:FILE keycustodyd --check-config", text, StringComparison.Ordinal);
            Assert.DoesNotContain("use a file or env source", text, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A secret that disappears after start (a credential file removed) is an internal error to the caller; the log
    /// must then have the exception, as the caller is told, and never the secret.
    /// </summary>
    [Fact]
    public async Task An_internal_error_is_logged_with_its_exception_and_without_the_secret()
    {
        await using var d = DaemonProcess.Create();
        var credentials = Directory.CreateDirectory(Path.Combine(d.Root, "credentials")).FullName;
        var mgm = Path.Combine(credentials, "mgm");
        File.WriteAllText(mgm, "0102030405060708010203040506070801020304050607AB");
        File.SetUnixFileMode(mgm, UnixFileMode.UserRead);
        d.Environment["CREDENTIALS_DIRECTORY"] = credentials;
        d.Configure(new
        {
            tokens = new object[] { new { name = "yk", kind = "simulator", serial = 4_100_004, touchDelayMs = 20, managementKey = new { credential = "mgm" } } },
            keys = new[] { Key("s", "yk", "9a", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await d.StartAsync();
        File.Delete(mgm);

        using var client = d.Client();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Key = "s", PinPolicy = "default", TouchPolicy = "default" }));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal("internal error; the daemon log has the details", error.Status.Detail);
        await WaitForAsync(() => d.Output.Contains("FileNotFoundException", StringComparison.Ordinal));
        Assert.Contains("Internal error in /keycustody.v1.Admin/GenerateKey", d.Output, StringComparison.Ordinal);
        Assert.Contains(mgm, d.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("0102030405060708010203040506070801020304050607AB", d.Output, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the daemon's log never showed it");
            await Task.Delay(50);
        }
    }
}
