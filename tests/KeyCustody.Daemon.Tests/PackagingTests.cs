using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Runtime.InteropServices;
using Google.Protobuf;
using KeyCustody.Client;
using KeyCustody.Daemon.Configuration;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Xunit;
using Xunit.Abstractions;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The operations files in systemd/ and udev/, checked with the tools that will read them: systemd-analyze
/// (verify and the offline security score) on the unit as it is, systemd-sysusers and systemd-tmpfiles into a
/// temporary root, polkit's own JavaScript engine (duktape) on the pcscd rule, and the real daemon started from
/// the example configuration. udev rules are not checked: Debian 12's udevadm (systemd 252) has no `verify`.
/// </summary>
public sealed partial class PackagingTests(ITestOutputHelper output) : IDisposable
{
    private const string UnitName = "keycustodyd.service";
    private const string SocketName = "keycustodyd.socket";
    private static readonly JsonDocumentOptions Comments = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private readonly string _work = Directory.CreateTempSubdirectory("keycustody-packaging-").FullName;

    private static string SystemdDir => Path.Combine(TestPaths.RepoRoot, "systemd");

    private static string UnitFile => Path.Combine(SystemdDir, UnitName);

    private static string ExampleFile => Path.Combine(SystemdDir, "keycustodyd.json.example");

    private static string SocketFile => Path.Combine(SystemdDir, SocketName);

    /// <summary>
    /// `systemd-analyze verify` needs the ExecStart binary and the units the default dependencies name. A temporary
    /// root holds the unit unchanged in /etc/systemd/system, a stub executable at its ExecStart path and a copy of
    /// the host's /usr/lib/systemd/system; --root makes systemd-analyze resolve every path inside it.
    /// Verify exits 0 even for settings it ignores (unknown keys, bad values), so its output must be empty too.
    /// </summary>
    [Fact]
    public void Unit_passes_systemd_analyze_verify_without_a_word()
    {
        var root = UnitRoot(File.ReadAllText(UnitFile));
        var (exit, text) = Run("systemd-analyze", "verify", "--man=no", "--root=" + root, UnitName, SocketName);
        Assert.True(exit == 0 && text.Length == 0, $"systemd-analyze verify exited {exit}:\n{text}");
    }

    /// <summary>The control for the test above: what verify ignores, it says, so silence means a clean unit.</summary>
    [Fact]
    public void Verify_names_settings_it_would_ignore()
    {
        var broken = File.ReadAllText(UnitFile).Replace("ProtectSystem=strict\n", "ProtectSystem=strictly\nProtectEverything=yes\n", StringComparison.Ordinal);
        var (_, text) = Run("systemd-analyze", "verify", "--man=no", "--root=" + UnitRoot(broken), UnitName);
        Assert.Contains("strictly", text);
        Assert.Contains("ProtectEverything", text);
    }

    /// <summary>The control for the socket unit: a misspelt setting in it is named too.</summary>
    [Fact]
    public void Verify_names_a_socket_setting_it_would_ignore()
    {
        var root = UnitRoot(File.ReadAllText(UnitFile), File.ReadAllText(SocketFile).Replace("SocketMode=0660\n", "SocketMode=0660\nSocketModus=0660\n", StringComparison.Ordinal));
        var (_, text) = Run("systemd-analyze", "verify", "--man=no", "--root=" + root, SocketName);
        Assert.Contains("SocketModus", text);
    }

    [Fact]
    public void Unit_sandbox_exposure_is_at_most_1_0()
    {
        // --threshold is on systemd's 0-100 scale; the report prints it divided by ten.
        var (exit, text) = Run("systemd-analyze", "security", "--offline=yes", "--threshold=10", "--root=" + UnitRoot(File.ReadAllText(UnitFile)), UnitName);
        output.WriteLine(text);
        Assert.True(exit == 0, $"exposure above 1.0 (exit {exit}):\n{text}");
    }

    /// <summary>The unit, the example configuration and the sysusers entry must describe the same installation.</summary>
    [Fact]
    public void Unit_example_configuration_sysusers_and_tmpfiles_agree()
    {
        var unit = UnitSettings();
        var example = Example();
        Assert.Equal("notify", Single(unit, "Type"));
        Assert.Equal("/bin/kill -HUP $MAINPID", Single(unit, "ExecReload"));
        Assert.Equal("30s", Single(unit, "WatchdogSec"));
        Assert.Equal(SocketName, Single(unit, "Requires"));
        Assert.Equal("keycustody", Single(unit, "User"));
        Assert.Equal(string.Empty, Single(unit, "CapabilityBoundingSet"));
        Assert.Equal("AF_UNIX", Single(unit, "RestrictAddressFamilies"));
        Assert.Equal("0077", Single(unit, "UMask"));

        var execStart = Single(unit, "ExecStart").Split(' ');
        Assert.Equal(["--config", "/etc/keycustody/keycustodyd.json"], execStart[1..]);
        Assert.Equal("/var/lib/" + Single(unit, "StateDirectory"), (string?)example["stateDirectory"]);
        Assert.DoesNotContain(unit, s => s.Key == "RuntimeDirectory");

        // The daemon refuses a passed socket whose path, mode or group differ from the configuration's.
        var socket = UnitSettings(SocketFile);
        Assert.Equal(Single(socket, "ListenStream"), (string?)example["listen"]!["unixSocket"]);
        Assert.Equal(Single(socket, "SocketMode"), (string?)example["listen"]!["socketMode"]);
        Assert.Equal(Single(socket, "SocketGroup"), (string?)example["listen"]!["socketGroup"]);
        Assert.Equal("keycustodyd", Single(socket, "FileDescriptorName"));

        // A LoadCredential= whose source is missing stops the start, one the configuration names but the unit does
        // not load fails at the first signature: both lists must be the same.
        var loaded = unit.Where(s => s.Key == "LoadCredential").Select(s => s.Value.Split(':')[0]).Order(StringComparer.Ordinal).ToList();
        var named = example["tokens"]!.AsArray()
            .SelectMany(t => new[] { t!["pin"], t["managementKey"] })
            .Select(s => (string?)s?["credential"])
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(named, loaded);
        Assert.All(unit.Where(s => s.Key == "LoadCredential"), s => Assert.StartsWith("/etc/keycustody/credentials/", s.Value.Split(':')[1], StringComparison.Ordinal));

        // systemd owns the socket and hands it over: the daemon needs no membership in the callers' group.
        var group = (string)example["listen"]!["socketGroup"]!;
        Assert.DoesNotContain(unit, s => s.Key == "SupplementaryGroups");
        var sysusers = File.ReadAllLines(Path.Combine(SystemdDir, "keycustodyd.sysusers")).Where(l => l.Length > 0 && l[0] != '#').ToList();
        Assert.Contains(sysusers, l => l.StartsWith($"g {group} ", StringComparison.Ordinal));
        Assert.DoesNotContain(sysusers, l => l.StartsWith("m ", StringComparison.Ordinal));
        var tmpfiles = File.ReadAllText(Path.Combine(SystemdDir, "keycustodyd.tmpfiles"));
        Assert.Contains("/etc/keycustody/credentials ", tmpfiles);
    }

    [Fact]
    public void Sysusers_and_tmpfiles_create_the_user_the_groups_and_the_directories()
    {
        var root = Directory.CreateDirectory(Path.Combine(_work, "root")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        var (exit, text) = Run("systemd-sysusers", "--root=" + root, Path.Combine(SystemdDir, "keycustodyd.sysusers"));
        Assert.True(exit == 0, text);
        var passwd = File.ReadAllLines(Path.Combine(root, "etc", "passwd")).Select(l => l.Split(':')).ToDictionary(f => f[0]);
        var groups = File.ReadAllLines(Path.Combine(root, "etc", "group")).Select(l => l.Split(':')).ToDictionary(f => f[0]);
        var user = passwd["keycustody"];
        Assert.Equal("/var/lib/keycustody", user[5]);
        Assert.Equal("/usr/sbin/nologin", user[6]);
        Assert.Equal(groups["keycustody"][2], user[3]);
        Assert.Equal(string.Empty, groups["keycustody-clients"][3]);
        Assert.True(int.Parse(user[2], CultureInfo.InvariantCulture) < 1000, "a system user");

        (exit, text) = Run("systemd-tmpfiles", "--root=" + root, "--create", Path.Combine(SystemdDir, "keycustodyd.tmpfiles"));
        Assert.True(exit == 0 && text.Length == 0, $"systemd-tmpfiles exited {exit}:\n{text}");
        var uid = user[2];
        var gid = groups["keycustody"][2];
        Assert.Equal($"750 0:{gid}", Stat(Path.Combine(root, "etc/keycustody")));
        Assert.Equal("700 0:0", Stat(Path.Combine(root, "etc/keycustody/credentials")));
        Assert.Equal("755 0:0", Stat(Path.Combine(root, "etc/keycustody/attestation")));
        Assert.Equal($"700 {uid}:{gid}", Stat(Path.Combine(root, "var/lib/keycustody")));
    }

    /// <summary>Debian's polkitd runs rules in duktape; so does this test, with the polkit object stubbed.</summary>
    [Fact]
    public void Polkit_rule_gives_the_daemon_user_both_pcsc_actions_and_nobody_anything()
    {
        const string Duk = "/usr/bin/duk";
        Assert.True(File.Exists(Duk), $"{Duk} is missing: run scripts/ensure-deps.sh (duktape)");
        var script = Path.Combine(_work, "polkit-check.js");
        File.WriteAllText(script, """
            var rules = [];
            var polkit = { Result: { NO: "no", YES: "yes", AUTH_SELF: "auth_self", AUTH_ADMIN: "auth_admin", NOT_HANDLED: null },
                           addRule: function (rule) { rules.push(rule); }, log: function () {} };
            """ + "\n" + File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "udev", "keycustody-pcscd.rules")) + "\n" + """
            function decide(id, user) {
                var action = { id: id, lookup: function (key) { return key === "reader" ? "Yubico YubiKey OTP+FIDO+CCID 00 00" : undefined; } };
                var subject = { user: user, groups: [user], pid: 4242, local: true, active: false, session: "",
                                isInGroup: function (g) { return g === user; }, isInNetGroup: function () { return false; } };
                for (var i = 0; i < rules.length; i++) {
                    var result = rules[i](action, subject);
                    if (result !== null && result !== undefined) { return result; }
                }
                return "not_handled";
            }
            print(decide("org.debian.pcsc-lite.access_pcsc", "keycustody"));
            print(decide("org.debian.pcsc-lite.access_card", "keycustody"));
            print(decide("org.debian.pcsc-lite.access_pcsc", "mallory"));
            print(decide("org.debian.pcsc-lite.access_card", "mallory"));
            print(decide("org.freedesktop.login1.power-off", "keycustody"));
            """);
        var (exit, text) = Run(Duk, script);
        Assert.True(exit == 0, text);
        Assert.Equal(["yes", "yes", "not_handled", "not_handled", "not_handled"], text.Trim().Split('\n'));
    }

    /// <summary>
    /// The daemon's binder ignores unknown settings, so a misspelt one in the example would silently mean its
    /// default. Bound here with unknown settings as errors; the control shows that a misspelling is caught.
    /// </summary>
    [Fact]
    public void Example_configuration_uses_only_settings_the_daemon_has()
    {
        var config = Bind(ExampleFile);
        Assert.Equal(2, config.Tokens.Count);
        Assert.Equal(4, config.Keys.Count);
        Assert.Equal(4, config.Access.Count);
        Assert.Equal("none", config.Keys.Single(k => k.Name == "homeserver").Presence);
        Assert.All(config.Tokens, t => Assert.Null(t.Pin?.Value));

        var misspelt = Path.Combine(_work, "misspelt.json");
        File.WriteAllText(misspelt, File.ReadAllText(ExampleFile).Replace("\"presence\": \"none\"", "\"presense\": \"none\"", StringComparison.Ordinal));
        Assert.Throws<InvalidOperationException>(() => Bind(misspelt));
    }

    /// <summary>
    /// The real daemon from the example configuration. Rewritten, because this machine is not the production host:
    /// the state directory and socket (into a temporary directory), the socket group and the user names of the
    /// access rules (to this process's gid and uid), and the YubiHSM module (SoftHSM2, with a token under the
    /// example's label). The credentials come from $CREDENTIALS_DIRECTORY as systemd would provide them. The
    /// YubiKey is absent (a private pcscd with an empty reader): the daemon serves, its keys wait for the card.
    /// </summary>
    [Fact]
    public async Task The_daemon_starts_from_the_example_configuration_and_signs_with_its_server_key()
    {
        using var pcscd = new PrivatePcscd("packaging-pcscd-");
        await using var daemon = DaemonProcess.Create();
        var config = Example();
        var me = Posix.Uid().ToString(CultureInfo.InvariantCulture);
        config["listen"]!["socketGroup"] = GetEgid().ToString(CultureInfo.InvariantCulture);
        foreach (var rule in config["access"]!.AsArray())
        {
            rule!["principal"] = "uid:" + me;
        }

        // A hw-sim root stands in for Yubico's here: the daemon needs a PEM it can read; the YubiKey is absent anyway.
        config["attestation"]!["roots"] = new JsonArray(Harness.RootPem(Path.Combine(daemon.Root, "root.json"), Path.Combine(daemon.Root, "root.pem")));
        var hsm = new SoftHsmTokens(daemon.Root);
        var hsmToken = config["tokens"]!.AsArray().Single(t => (string?)t!["kind"] == "pkcs11")!;
        hsmToken["module"] = SoftHsmTokens.Module;
        hsm.CreateToken((string)hsmToken["tokenLabel"]!);

        var credentials = Directory.CreateDirectory(Path.Combine(daemon.Root, "credentials")).FullName;
        File.SetUnixFileMode(credentials, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var (name, value) in new[] { ("yubikey-pin", "123456"), ("yubikey-management-key", "010203040506070801020304050607080102030405060708"), ("hsm-pin", SoftHsmTokens.UserPin) })
        {
            File.WriteAllText(Path.Combine(credentials, name), value);
            File.SetUnixFileMode(Path.Combine(credentials, name), UnixFileMode.UserRead);
        }

        daemon.Environment["CREDENTIALS_DIRECTORY"] = credentials;
        daemon.Environment["SOFTHSM2_CONF"] = hsm.ConfigPath;
        daemon.Environment[PrivatePcscd.SocketVariable] = pcscd.SocketPath;
        daemon.Configure(config);
        await daemon.StartAsync();

        using var client = daemon.Client();
        var keys = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys;
        Assert.Equal(["alice-master", "alice-ssk", "alice-usk", "homeserver"], keys.Select(k => k.Name).Order(StringComparer.Ordinal));

        var publicKey = (await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Token = "hsm", KeyId = "matrix-signing-key", PinPolicy = "default", TouchPolicy = "default" })).PublicKey;
        var request = new SignJsonRequest { Key = "homeserver", Json = ByteString.CopyFromUtf8("""{"server_name":"example.org","valid_until_ts":1700000000000}""") };
        var signed = await KeyCustodyClient.FollowAsync(client.Custody.SignJson(request), null);
        Assert.Equal("ed25519:a_hsm1", signed.KeyId);
        var verdict = await client.Custody.VerifyJsonAsync(new VerifyJsonRequest { Json = signed.SignedJson[0], Entity = "example.org", KeyId = "ed25519:a_hsm1", PublicKey = publicKey });
        Assert.True(verdict.Valid, verdict.Reason);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static DaemonConfig Bind(string file)
    {
        var config = new DaemonConfig();
        new ConfigurationBuilder().AddJsonFile(file, optional: false, reloadOnChange: false).Build()
            .Bind(config, o => o.ErrorOnUnknownConfiguration = true);
        return config;
    }

    private static JsonObject Example() => JsonNode.Parse(File.ReadAllText(ExampleFile), documentOptions: Comments)!.AsObject();

    /// <summary>A unit's settings in order, comments dropped.</summary>
    private static List<KeyValuePair<string, string>> UnitSettings(string? file = null) =>
        File.ReadAllLines(file ?? UnitFile)
            .Where(l => l.Length > 0 && l[0] is not ('#' or ';' or '['))
            .Select(l => l.Split('=', 2))
            .Select(p => KeyValuePair.Create(p[0], p[1]))
            .ToList();

    private static string Single(List<KeyValuePair<string, string>> settings, string key) => Assert.Single(settings, s => s.Key == key).Value;

    private string UnitRoot(string unitText, string? socketText = null)
    {
        var root = Directory.CreateDirectory(Path.Combine(_work, "root-" + Guid.NewGuid().ToString("N"))).FullName;
        var units = Directory.CreateDirectory(Path.Combine(root, "etc", "systemd", "system")).FullName;
        File.WriteAllText(Path.Combine(units, UnitName), unitText);
        File.WriteAllText(Path.Combine(units, SocketName), socketText ?? File.ReadAllText(SocketFile));
        // Every program the unit runs (ExecStart=, ExecReload=) as a stub inside the root.
        foreach (var exec in unitText.Split('\n').Where(l => l.StartsWith("Exec", StringComparison.Ordinal)).Select(l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Split(' ')[0]))
        {
            var stub = Path.Combine(root, exec.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(stub)!);
            File.WriteAllText(stub, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.CreateDirectory(Path.Combine(root, "usr", "lib", "systemd"));
        var (exit, text) = Run("cp", "-a", "/usr/lib/systemd/system", Path.Combine(root, "usr", "lib", "systemd"));
        Assert.True(exit == 0, text);
        return root;
    }

    private static string Stat(string path)
    {
        var (exit, text) = Run("stat", "-c", "%a %u:%g", path);
        Assert.True(exit == 0, text);
        return text.Trim();
    }

    [LibraryImport("libc", EntryPoint = "getegid")]
    private static partial uint GetEgid();

    private static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SYSTEMD_COLORS"] = "0";
        start.Environment["SYSTEMD_PAGER"] = "cat";
        using var process = Process.Start(start) ?? throw new InvalidOperationException(program + " did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
