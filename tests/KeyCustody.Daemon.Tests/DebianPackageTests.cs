using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// scripts/build-deb.sh builds the package; lintian finds nothing that is not overridden with a reason; dpkg installs
/// it into a scratch root (--root with --force-script-chrootless: the maintainer scripts run on this host against
/// DPKG_ROOT, as they would in a chroot) and purges it again; the installed keycustodyd checks the packaged
/// configuration (refused, naming where Yubico's root goes) and the same adapted to simulated tokens (passes); the
/// installed bash completion completes with the installed CLI. The manual pages are groff-clean and name every
/// command and option the programs' --help lists.
/// </summary>
public sealed class DebianPackageTests(ITestOutputHelper output) : IDisposable
{
    private static readonly JsonDocumentOptions Comments = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private readonly string _work = Directory.CreateTempSubdirectory("keycustody-deb-").FullName;

    private string Root => Path.Combine(_work, "root");

    [Fact]
    public void The_package_is_lintian_clean_installs_into_a_scratch_root_checks_its_configuration_and_purges()
    {
        var deb = Build();

        // Every finding down to pedantic and info fails the run unless packaging/deb/lintian-overrides gives its reason.
        var (exit, text) = ChildProcess.Run("lintian", ["--pedantic", "-I", "--fail-on", "error,warning,info,pedantic", deb]);
        output.WriteLine(text);
        Assert.True(exit == 0, $"lintian exited {exit}:\n{text}");

        (exit, text) = ChildProcess.Run("dpkg-deb", ["--field", deb, "Depends"]);
        Assert.Contains("dotnet-runtime-10.0", text, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore", text, StringComparison.Ordinal);
        (exit, text) = ChildProcess.Run("dpkg-deb", ["--ctrl-tarfile", deb]);
        Assert.Equal(0, exit);

        // The configuration (the access policy) is nobody else's from unpacking until postinst gives it to the daemon's group.
        (exit, text) = ChildProcess.Run("dpkg-deb", ["-c", deb]);
        Assert.Equal(0, exit);
        Assert.Matches(@"(?m)^-rw------- root/root .* \./etc/keycustody/keycustodyd\.json$", text);

        foreach (var dir in new[] { "var/lib/dpkg/info", "var/lib/dpkg/updates", "etc" })
        {
            Directory.CreateDirectory(Path.Combine(Root, dir));
        }

        File.WriteAllText(Path.Combine(Root, "var/lib/dpkg/status"), string.Empty);
        File.WriteAllText(Path.Combine(Root, "var/lib/dpkg/available"), string.Empty);
        (exit, text) = Dpkg("-i", deb);
        Assert.True(exit == 0, $"dpkg -i exited {exit}:\n{text}");

        // postinst: the user and groups, the directories, the conffile's owner and mode, the units known but not enabled.
        var groups = File.ReadAllLines(Installed("etc/group")).Select(l => l.Split(':')).ToDictionary(f => f[0], f => f[2]);
        Assert.Contains("keycustody-clients", groups.Keys);
        var passwd = File.ReadAllLines(Installed("etc/passwd")).Select(l => l.Split(':')).ToDictionary(f => f[0]);
        var uid = passwd["keycustody"][2];
        var gid = groups["keycustody"];
        Assert.Equal($"640 0:{gid}", Stat("etc/keycustody/keycustodyd.json"));
        Assert.Equal($"750 0:{gid}", Stat("etc/keycustody"));
        Assert.Equal("755 0:0", Stat("etc/keycustody/attestation"));
        Assert.Equal("700 0:0", Stat("etc/keycustody/credentials"));
        Assert.Equal($"700 {uid}:{gid}", Stat("var/lib/keycustody"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, "systemd/keycustodyd.json.example")), File.ReadAllBytes(Installed("etc/keycustody/keycustodyd.json")));
        Assert.True(File.Exists(Installed("var/lib/systemd/deb-systemd-helper-enabled/keycustodyd.socket.dsh-also")), "deb-systemd-helper does not know the socket");
        Assert.False(Directory.Exists(Installed("etc/systemd/system")) && Directory.EnumerateFileSystemEntries(Installed("etc/systemd/system"), "keycustodyd*", SearchOption.AllDirectories).Any(), "a unit was enabled");
        foreach (var file in new[] { "usr/lib/systemd/system/keycustodyd.socket", "usr/share/man/man8/keycustodyd.8.gz", "usr/share/man/man1/keycustody.1.gz", "usr/bin/keycustody-hwsim", "usr/share/man/man1/keycustody-hwsim.1.gz", "usr/share/bash-completion/completions/keycustody", "usr/share/doc/keycustody/README.Debian" })
        {
            Assert.True(File.Exists(Installed(file)), file + " is not installed");
        }

        // What the unit's Documentation= names is installed as named (not only compressed).
        var documentation = File.ReadAllLines(Installed("usr/lib/systemd/system/keycustodyd.service")).Single(l => l.StartsWith("Documentation=", StringComparison.Ordinal)).Split(' ')[^1];
        Assert.True(File.Exists(Installed(documentation["file:/".Length..])), documentation + " is not in the package");

        // One version: the package's (VERSION+gitCOMMIT) is what the installed programs print (VERSION+COMMIT...).
        (exit, text) = ChildProcess.Run("dpkg-deb", ["--field", deb, "Version"]);
        var packaged = text.Trim().Split("+git");
        Assert.True(packaged.Length == 2, text);
        foreach (var program in new[] { "usr/sbin/keycustodyd", "usr/bin/keycustody" })
        {
            (exit, text) = ChildProcess.Run(Installed(program), ["--version"]);
            Assert.True(exit == 0, text);
            Assert.Contains($"{packaged[0]}+{packaged[1]}", text, StringComparison.Ordinal);
        }

        CheckConfigOnThePackagedExample();
        TheInstalledCompletionCompletes();

        (exit, text) = Dpkg("--purge", "keycustody");
        Assert.True(exit == 0, $"dpkg --purge exited {exit}:\n{text}");
        Assert.False(File.Exists(Installed("etc/keycustody/keycustodyd.json")), "the conffile survived the purge");
        Assert.False(File.Exists(Installed("usr/lib/keycustody/keycustodyd")));
        Assert.True(Directory.Exists(Installed("var/lib/keycustody")), "a purge must keep the state directory (the audit log is evidence)");
        Assert.False(Directory.Exists(Installed("etc/systemd/system")) && Directory.EnumerateFileSystemEntries(Installed("etc/systemd/system"), "keycustodyd*", SearchOption.AllDirectories).Any(), "a unit mask survived the purge");
    }

    [Fact]
    public void The_manual_pages_are_groff_clean_and_name_every_command_and_option()
    {
        foreach (var page in new[] { "keycustodyd.8", "keycustody.1", "keycustody-hwsim.1" })
        {
            var (exit, text) = ChildProcess.Run("groff", ["-man", "-ww", "-z", Path.Combine(TestPaths.RepoRoot, "packaging/man", page)]);
            Assert.True(exit == 0 && text.Length == 0, $"groff on {page}: {text}");
        }

        var daemonPage = Unescape(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "packaging/man/keycustodyd.8")));
        var (daemon, leading) = Binaries.DaemonCommand;
        var (_, help) = ChildProcess.Run(daemon, [.. leading, "--help"]);
        var options = help.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("--", StringComparison.Ordinal) && !l.StartsWith("--section", StringComparison.Ordinal)).Select(l => l.Split(' ')[0].TrimEnd(',', ':')).Distinct().ToList();
        Assert.NotEmpty(options);
        Assert.All(options, o => Assert.Contains(o, daemonPage, StringComparison.Ordinal));

        var cliPage = Unescape(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "packaging/man/keycustody.1")));
        (_, help) = ChildProcess.Run("dotnet", [Binaries.Cli, "--help"]);
        var commands = help[help.IndexOf("Commands:", StringComparison.Ordinal)..].Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => l.Split(' ')[0]).ToList();
        Assert.True(commands.Count > 10, help);
        Assert.All(commands, c => Assert.Contains($".B {c}", cliPage.Replace(".BI ", ".B ", StringComparison.Ordinal), StringComparison.Ordinal));

        var simulatorPage = Unescape(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "packaging/man/keycustody-hwsim.1"))).Replace(".BI ", ".B ", StringComparison.Ordinal);
        (_, help) = ChildProcess.Run("dotnet", [Binaries.HwSim, "--help"]);
        commands = help[help.IndexOf("Commands:", StringComparison.Ordinal)..].Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => l.Split(' ')[0]).ToList();
        Assert.True(commands.Count > 5, help);
        Assert.All(commands, c => Assert.Contains($".B {c}", simulatorPage, StringComparison.Ordinal));
    }

    private static string Unescape(string roff) => roff.Replace("\\-", "-", StringComparison.Ordinal);

    /// <summary>
    /// The installed daemon on the installed conffile: refused, and the refusal says where Yubico's root goes. Then the
    /// same file adapted to this machine: simulated YubiKey and a software token for the HSM, the hw-sim root for
    /// Yubico's, this test's uid for the user names, temporary state; the credentials from $CREDENTIALS_DIRECTORY.
    /// </summary>
    private void CheckConfigOnThePackagedExample()
    {
        var daemon = Installed("usr/sbin/keycustodyd");
        var (exit, text) = ChildProcess.Run(daemon, ["--check-config", "--config", Installed("etc/keycustody/keycustodyd.json")]);
        output.WriteLine(text);
        Assert.Equal(2, exit);
        Assert.Contains("attestation.roots[0]: /etc/keycustody/attestation/yubico-piv-ca.pem does not exist: the attestation roots are certificates the operator installs; for YubiKeys, Yubico's PIV attestation root CA (https://developers.yubico.com/PKI/", text, StringComparison.Ordinal);

        var config = JsonNode.Parse(File.ReadAllText(Installed("etc/keycustody/keycustodyd.json")), documentOptions: Comments)!.AsObject();
        var state = Directory.CreateDirectory(Path.Combine(_work, "state")).FullName;
        File.SetUnixFileMode(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        config["stateDirectory"] = state;
        config["listen"]!["unixSocket"] = Path.Combine(_work, "keycustodyd.sock");
        config["listen"]!["socketGroup"] = "0";
        config["attestation"]!["roots"] = new JsonArray(Harness.RootPem(Path.Combine(_work, "sim-root.json"), Path.Combine(_work, "sim-root.pem")));
        config["simulatorRoot"] = Path.Combine(_work, "sim-root.json");
        var yubikey = config["tokens"]!.AsArray().Single(t => (string?)t!["kind"] == "piv")!;
        yubikey["kind"] = "simulator";
        yubikey["stateFile"] = Path.Combine(state, "yubikey.json");
        var hsm = config["tokens"]!.AsArray().Single(t => (string?)t!["kind"] == "pkcs11")!.AsObject();
        var softDirectory = Directory.CreateDirectory(Path.Combine(_work, "soft")).FullName;
        File.SetUnixFileMode(softDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var setting in new[] { "module", "tokenLabel", "sessions", "pin" })
        {
            hsm.Remove(setting);
        }

        hsm["kind"] = "software";
        hsm["directory"] = softDirectory;
        foreach (var rule in config["access"]!.AsArray())
        {
            rule!["principal"] = "uid:" + Harness.Me.Split(':')[1];
        }

        var adapted = Path.Combine(_work, "keycustodyd.json");
        File.WriteAllText(adapted, config.ToJsonString());
        File.SetUnixFileMode(adapted, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var credentials = Directory.CreateDirectory(Path.Combine(_work, "credentials")).FullName;
        File.WriteAllText(Path.Combine(credentials, "yubikey-pin"), "123456");
        File.WriteAllText(Path.Combine(credentials, "yubikey-management-key"), "010203040506070801020304050607080102030405060708");

        (exit, text) = ChildProcess.Run(daemon, ["--check-config", "--config", adapted], s => s.Environment["CREDENTIALS_DIRECTORY"] = credentials);
        output.WriteLine(text);
        Assert.True(exit == 0, $"--check-config on the adapted example exited {exit}:\n{text}");
        Assert.Contains("keycustodyd: the configuration is valid and every token is reachable", text, StringComparison.Ordinal);

        // From a shell, as README.Debian's step is typed: no CREDENTIALS_DIRECTORY. The refusal's hint is the command
        // README.Debian gives, and that command (the package's paths mapped onto this test's) passes.
        (exit, text) = ChildProcess.Run(daemon, ["--check-config", "--config", adapted], s => s.Environment.Remove("CREDENTIALS_DIRECTORY"));
        Assert.True(exit == 2, text);
        const string Documented = "CREDENTIALS_DIRECTORY=/etc/keycustody/credentials keycustodyd --check-config --config /etc/keycustody/keycustodyd.json";
        Assert.Contains(Documented, text, StringComparison.Ordinal);
        var step = File.ReadAllLines(Installed("usr/share/doc/keycustody/README.Debian")).Select(l => l.Trim()).Single(l => l.StartsWith("CREDENTIALS_DIRECTORY=", StringComparison.Ordinal));
        Assert.Equal(Documented, step);
        var mapped = step.Replace("/etc/keycustody/credentials", credentials, StringComparison.Ordinal)
            .Replace("/etc/keycustody/keycustodyd.json", adapted, StringComparison.Ordinal)
            .Replace(" keycustodyd ", $" {daemon} ", StringComparison.Ordinal);
        (exit, text) = ChildProcess.Run("/bin/sh", ["-c", mapped], s => s.Environment.Remove("CREDENTIALS_DIRECTORY"));
        output.WriteLine(text);
        Assert.True(exit == 0, $"README.Debian's command ({mapped}) exited {exit}:\n{text}");
        Assert.Contains("keycustodyd: the configuration is valid and every token is reachable", text, StringComparison.Ordinal);
    }

    /// <summary>bash with the installed completion, asking as the shell does (COMP_LINE, COMP_POINT, COMP_WORDS) with the installed CLI on PATH.</summary>
    private void TheInstalledCompletionCompletes()
    {
        string[] Complete(string line)
        {
            var script = $$"""
                source {{Installed("usr/share/bash-completion/completions/keycustody")}}
                COMP_LINE='{{line}}'; COMP_POINT=${#COMP_LINE}
                read -r -a COMP_WORDS <<< "$COMP_LINE"
                [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
                COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
                _keycustody
                printf '%s\n' "${COMPREPLY[@]}"
                """;
            var (exit, text) = ChildProcess.Run("bash", ["-c", script], s => s.Environment["PATH"] = Installed("usr/bin") + ":" + Environment.GetEnvironmentVariable("PATH"));
            Assert.True(exit == 0, text);
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        Assert.Equal(["keys"], Complete("keycustody ke"));
        Assert.Equal(["accept", "generate", "list", "public", "reject"], Complete("keycustody keys ").Where(s => !s.StartsWith('-')).Order(StringComparer.Ordinal));
        Assert.Equal(["--key"], Complete("keycustody sign --k"));
    }

    private string Build()
    {
        var (exit, text) = ChildProcess.Run(Path.Combine(TestPaths.RepoRoot, "scripts", "build-deb.sh"), ["--output", _work, "--no-build", "--configuration", Binaries.Configuration]);
        Assert.True(exit == 0, $"build-deb.sh exited {exit}:\n{text}");
        return text.Trim().Split('\n')[^1];
    }

    private (int ExitCode, string Output) Dpkg(params string[] arguments) =>
        ChildProcess.Run("dpkg", ["--root=" + Root, "--force-script-chrootless", "--force-depends", .. arguments]);

    private string Installed(string path) => Path.Combine(Root, path);

    private string Stat(string path)
    {
        var (exit, text) = ChildProcess.Run("stat", ["-c", "%a %u:%g", Installed(path)]);
        Assert.True(exit == 0, text);
        return text.Trim();
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
}
