using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary><c>keycustodyd --check-config</c>, like <c>nginx -t</c>: everything checked, nothing served or written; exit 0 or 2.</summary>
public sealed class CheckConfigTests
{
    [Fact]
    public async Task A_good_configuration_passes_and_nothing_is_written()
    {
        await using var d = DaemonProcess.Create();
        var pin = SecretFile(d, "yk.pin", "123456");
        d.Configure(new
        {
            tokens = new object[] { Software(d, "soft"), new { name = "yk", kind = "simulator", serial = 4_200_001, pin = new { file = pin } } },
            keys = new[] { Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1"), Key("s", "yk", "9a", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign") },
        });
        var (exit, stdout, stderr) = d.RunToEnd("--config", d.ConfigFile, "--check-config");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Empty(stderr);
        Assert.Contains($"ok: configuration {d.ConfigFile}: valid (2 tokens, 2 keys, 1 access rules)", stdout, StringComparison.Ordinal);
        Assert.Contains("ok: limits: at most 32 connections per peer (uid or certificate subject), 1024 in all", stdout, StringComparison.Ordinal);
        Assert.Contains($"ok: token yk: pin from file {pin} is readable", stdout, StringComparison.Ordinal);
        Assert.Contains("ok: token soft (software): reachable", stdout, StringComparison.Ordinal);
        Assert.Contains("ok: token yk (simulator): reachable, serial 4200001", stdout, StringComparison.Ordinal);
        // An empty key's note names what makes it, by its role, as the start's log does.
        Assert.Contains($"note: key s: 9a on yk is empty (a user's cross-signing keys are made together: `keycustody provision --user {User} --attestation-root ROOT.pem`)\n", stdout, StringComparison.Ordinal);
        Assert.EndsWith("keycustodyd: the configuration is valid and every token is reachable\n", stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(d.StateDirectory));
        Assert.False(File.Exists(d.Socket));
    }

    /// <summary>--simulator prepares its state directory for a start; a check only says it would (it used to make it).</summary>
    [Fact]
    public async Task The_simulator_check_names_the_state_it_would_make_and_makes_none()
    {
        await using var d = DaemonProcess.Create();
        var fresh = Path.Combine(d.Root, "fresh-state");
        var (exit, stdout, stderr) = d.RunToEnd("--check-config", "--simulator", "--state-dir", fresh);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"note: {fresh} does not exist yet; the first start of keycustodyd --simulator makes it", stdout, StringComparison.Ordinal);
        Assert.Contains($"note: {Path.Combine(fresh, "pin")} does not exist yet", stdout, StringComparison.Ordinal);
        Assert.Contains("note: token sim-master (simulator): ", stdout, StringComparison.Ordinal);
        Assert.False(Path.Exists(fresh), $"--check-config made {fresh}");
    }

    /// <summary>Without --state-dir: nothing in the per-user runtime, state or data directories (the simulator's root included).</summary>
    [Fact]
    public async Task The_simulator_check_without_a_state_directory_writes_nothing_in_the_users_directories()
    {
        await using var d = DaemonProcess.Create();
        var home = Path.Combine(d.Root, "home");
        Directory.CreateDirectory(home);
        foreach (var variable in new[] { "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_DATA_HOME" })
        {
            var dir = Path.Combine(home, variable.ToLowerInvariant());
            Directory.CreateDirectory(dir);
            d.Environment[variable] = dir;
        }

        var (exit, stdout, stderr) = d.RunToEnd("--check-config", "--simulator");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"note: {Path.Combine(home, "xdg_runtime_dir", "keycustody-simulator")} does not exist yet", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(home, "*", SearchOption.AllDirectories), e => !(Directory.Exists(e) && Path.GetDirectoryName(e) == home));
    }

    /// <summary>
    /// A PKCS#11 module the start warns about (SoftHSM2 2.6 and earlier: a leak in every Ed25519 signature) is a note
    /// naming the token, with the start's own words: something to plan for, so the check still passes.
    /// </summary>
    [Fact]
    public async Task A_softhsm2_module_with_a_known_issue_is_a_note_naming_the_token_and_the_check_passes()
    {
        await using var d = DaemonProcess.Create();
        var hsm = new SoftHsmTokens(d.Root);
        hsm.CreateToken("leaky");
        d.Environment[SoftHsmTokens.ConfigVariable] = hsm.ConfigPath;
        d.Configure(new
        {
            tokens = new object[]
            {
                Software(d, "soft"),
                new { name = "hsm", kind = "pkcs11", module = SoftHsmTokens.Module, tokenLabel = "leaky", pin = new { file = SecretFile(d, "hsm.pin", SoftHsmTokens.UserPin) } },
            },
            keys = new[] { Key("hsm-server", "hsm", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign") },
        });
        var (exit, stdout, stderr) = d.RunToEnd("--config", d.ConfigFile, "--check-config");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Empty(stderr);
        Assert.Contains("ok: token hsm (pkcs11): reachable", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("note: token soft", stdout, StringComparison.Ordinal);

        var installed = SoftHsmTokens.InstalledVersion();
        var notes = stdout.Split('\n').Where(l => l.Contains("keeps memory", StringComparison.Ordinal)).ToList();
        if (installed >= new Version(2, 7))
        {
            // A SoftHSM2 with the fix: no note (the note for 2.6 itself is checked where 2.6 is installed, as on Debian 12
            // and in CI; KnownIssueTests checks the versions without a module).
            Assert.Empty(notes);
            return;
        }

        var note = Assert.Single(notes);
        Assert.StartsWith($"note: token hsm (pkcs11): SoftHSM2 {installed.Major}.{installed.Minor} keeps memory it allocates in every Ed25519 signature", note, StringComparison.Ordinal);
        Assert.Contains("Restart it now and then, or use a SoftHSM2 with the fix", note, StringComparison.Ordinal);
        Assert.EndsWith("keycustodyd: the configuration is valid and every token is reachable\n", stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// The README's SoftHSM2 example (section "A PKCS#11 token: SoftHSM2") is what a newcomer copies: its tokens and keys,
    /// as written, pass the check against a real SoftHSM2 token with its label (only the PIN file's place is this test's).
    /// </summary>
    [Fact]
    public async Task The_READMEs_softhsm2_example_passes_the_check()
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var section = readme.IndexOf("### A PKCS#11 token: SoftHSM2", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no section \"A PKCS#11 token: SoftHSM2\"");
        var start = readme.IndexOf("```json\n", section, StringComparison.Ordinal) + "```json\n".Length;
        var example = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];
        const string ExamplePin = "/etc/keycustody/softhsm.pin";
        Assert.Contains(ExamplePin, example, StringComparison.Ordinal);

        await using var d = DaemonProcess.Create();
        var hsm = new SoftHsmTokens(d.Root);
        hsm.CreateToken("keycustody");
        d.Environment[SoftHsmTokens.ConfigVariable] = hsm.ConfigPath;
        var config = System.Text.Json.Nodes.JsonNode.Parse("{" + example.Replace(ExamplePin, SecretFile(d, "softhsm.pin", SoftHsmTokens.UserPin), StringComparison.Ordinal) + "}")!.AsObject();
        config["access"] = System.Text.Json.Nodes.JsonNode.Parse($"[{{\"principal\": \"{Me}\", \"keys\": [\"*\"], \"operations\": [\"sign\"]}}]");
        d.Configure(config);

        var (exit, stdout, stderr) = d.RunToEnd("--config", d.ConfigFile, "--check-config");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Empty(stderr);
        Assert.Contains("ok: token softhsm (pkcs11): reachable", stdout, StringComparison.Ordinal);
        Assert.Contains("note: key homeserver: label:matrix-signing-key on softhsm is empty (make it with `keycustody keys generate --key homeserver`)\n", stdout, StringComparison.Ordinal);
    }

    /// <summary>A token that is not there (a YubiKey serial no reader holds), an empty PIN file and a broken audit log: each named, exit 2.</summary>
    [Fact]
    public async Task An_unreachable_token_an_empty_secret_and_a_broken_audit_log_are_each_reported()
    {
        using var pcscd = new PrivatePcscd("check-config-pcscd-");
        await using var d = DaemonProcess.Create();
        var pin = SecretFile(d, "yk.pin", string.Empty);
        d.Configure(new { tokens = new object[] { new { name = "yk", kind = "piv", serial = 4_200_002, pin = new { file = pin } } } });
        File.WriteAllText(d.AuditLog, "{\"a\":1}\n");
        File.SetUnixFileMode(d.AuditLog, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        d.Environment[PrivatePcscd.SocketVariable] = pcscd.SocketPath;

        var (exit, stdout, stderr) = d.RunToEnd("--config", d.ConfigFile, "--check-config");
        Assert.Equal(2, exit);
        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, errors.Length);
        Assert.StartsWith($"error: token yk: pin from file {pin}: it is empty", errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"error: audit log {d.AuditLog}: line 1: not an audit record", errors[1], StringComparison.Ordinal);
        Assert.StartsWith("error: token yk (piv): not reachable: ", errors[2], StringComparison.Ordinal);
        Assert.Contains("4200002", errors[2], StringComparison.Ordinal);
        Assert.Equal("keycustodyd: 3 problems found", errors[3]);
        Assert.Contains("ok: configuration", stdout, StringComparison.Ordinal);
    }

    /// <summary>One card configured as two tokens would get two queues and two touch caches: refused, naming both.</summary>
    [Fact]
    public async Task Two_tokens_with_the_same_serial_are_refused()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new
        {
            tokens = new object[] { new { name = "yk", kind = "simulator", serial = 4_200_003 }, new { name = "yk-again", kind = "simulator", serial = 4_200_003 } },
            access = new[] { Rule(Me, ["*"], "sign") },
        });
        var (exit, stdout, stderr) = d.RunToEnd("--config", d.ConfigFile, "--check-config");
        Assert.True(exit == 2, stdout + stderr);
        Assert.Contains("tokens[1].serial: 4200003 is token 'yk' already: one card, one token", stderr, StringComparison.Ordinal);
    }
}
