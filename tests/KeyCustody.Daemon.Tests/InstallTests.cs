using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using KeyCustody.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// scripts/install.sh into a scratch root (--root, as a package build would): the layout the unit and the other
/// operations files name, systemd-analyze on the installed unit with the installed program behind ExecStart, and
/// the installed keycustodyd and keycustody themselves run (the .NET apphosts find the runtime as they would on a
/// host: no `dotnet` in front of them), the installed keycustody-hwsim pressing on the installed daemon's simulator.
/// </summary>
public sealed class InstallTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("keycustody-install-").FullName;

    private string Root => Path.Combine(_work, "root");

    /// <summary>Run as a user who cannot write the target, it stops before building, in one line (it used to publish and then fail at length).</summary>
    [Fact]
    public void The_install_script_as_a_user_who_cannot_write_the_target_stops_at_once_in_one_line()
    {
        // A copy nobody can read: the clone itself may sit where nobody cannot go (a 0700 temporary directory, /root), and
        // the script stops before it needs anything else of the repository.
        var copy = Directory.CreateTempSubdirectory("keycustody-install-nobody-");
        var script = Path.Combine(copy.FullName, "scripts", "install.sh");
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.Copy(Path.Combine(TestPaths.RepoRoot, "scripts", "install.sh"), script);
        var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(copy.FullName, readable);
        File.SetUnixFileMode(Path.GetDirectoryName(script)!, readable);
        File.SetUnixFileMode(script, readable);
        foreach (var (args, expected) in new[]
        {
            (Array.Empty<string>(), "error: installing into / needs root (sudo scripts/install.sh); to lay the files out elsewhere give --root DIR"),
            (["--root", "/usr/keycustody-not-writable"], "error: cannot write to /usr/keycustody-not-writable as nobody: give --root DIR"),
        })
        {
            var (exit, text) = ChildProcess.Run("runuser", ["-u", "nobody", "--", "bash", script, .. args]);
            Assert.True(exit == 2, text);
            var said = Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith(expected, said, StringComparison.Ordinal);
        }

        copy.Delete(recursive: true);
    }

    [Fact]
    public async Task The_install_script_lays_out_what_the_unit_names_and_the_installed_programs_run()
    {
        var (exit, text) = ChildProcess.Run(Path.Combine(TestPaths.RepoRoot, "scripts", "install.sh"), ["--root", Root, "--no-build", "--configuration", Binaries.Configuration]);
        Assert.True(exit == 0, $"install.sh exited {exit}:\n{text}");

        // The operations files are installed unchanged where systemd, udev and polkit read vendor files.
        foreach (var (source, installed) in new[]
        {
            ("systemd/keycustodyd.service", "usr/lib/systemd/system/keycustodyd.service"),
            ("systemd/keycustodyd.socket", "usr/lib/systemd/system/keycustodyd.socket"),
            ("packaging/completion/keycustody.bash", "usr/share/bash-completion/completions/keycustody"),
            ("docs/deployment.md", "usr/share/doc/keycustody/deployment.md"),
            ("systemd/keycustodyd.sysusers", "usr/lib/sysusers.d/keycustody.conf"),
            ("systemd/keycustodyd.tmpfiles", "usr/lib/tmpfiles.d/keycustody.conf"),
            ("udev/70-keycustody.rules", "usr/lib/udev/rules.d/70-keycustody.rules"),
            ("udev/keycustody-pcscd.rules", "usr/share/polkit-1/rules.d/70-keycustody-pcscd.rules"),
            ("systemd/keycustodyd.json.example", "usr/share/doc/keycustody/examples/keycustodyd.json.example"),
            ("docs/architecture.md", "usr/share/doc/keycustody/architecture.md"),
        })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, source)), File.ReadAllBytes(Installed(installed)));
            Assert.Equal("644", Mode(Installed(installed)));
        }

        // What the unit names is there: the program behind ExecStart (the native daemon, executable) and its documentation.
        var unit = File.ReadAllLines(Installed("usr/lib/systemd/system/keycustodyd.service"));
        var execStart = unit.Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..].Split(' ')[0];
        Assert.Equal("755", Mode(Installed(execStart)));
        var documentation = unit.Single(l => l.StartsWith("Documentation=", StringComparison.Ordinal))["Documentation=".Length..].Split(' ');
        Assert.Equal("man:keycustodyd(8)", documentation[0]);
        Assert.True(File.Exists(Installed("usr/share/man/man8/keycustodyd.8.gz")), "keycustodyd(8) is not installed");
        Assert.True(File.Exists(Installed(documentation[1]["file:".Length..])), documentation[1] + " is not installed");
        Assert.Equal("755", Mode(Installed("usr/lib/keycustody/cli/keycustody")));
        Assert.Equal("../lib/keycustody/keycustodyd", new FileInfo(Installed("usr/sbin/keycustodyd")).LinkTarget);
        Assert.Equal("../lib/keycustody/cli/keycustody", new FileInfo(Installed("usr/bin/keycustody")).LinkTarget);

        // The simulator's CLI, which README.md and the daemon's own log tell simulator users to run, in its own directory.
        Assert.Equal("755", Mode(Installed("usr/lib/keycustody/hwsim/keycustody-hwsim")));
        Assert.Equal("../lib/keycustody/hwsim/keycustody-hwsim", new FileInfo(Installed("usr/bin/keycustody-hwsim")).LinkTarget);
        Assert.True(File.Exists(Installed("usr/share/man/man1/keycustody-hwsim.1.gz")), "keycustody-hwsim(1) is not installed");
        Assert.False(File.Exists(Installed("usr/lib/keycustody/keycustody-hwsim")), "the simulator's entry point beside the daemon's libraries");

        // Only what runs on this machine. The daemon is one native executable beside libsodium: no assemblies, no debug
        // symbols, no .NET runtime of its own.
        Assert.Empty(Directory.EnumerateFiles(Installed("usr/lib/keycustody"), "*.xml", SearchOption.AllDirectories));
        Assert.Equal(["keycustodyd", "libsodium.so"], Directory.EnumerateFiles(Installed("usr/lib/keycustody")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var program in new[] { "cli", "hwsim" })
        {
            Assert.Equal([System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier], Directory.EnumerateDirectories(Installed($"usr/lib/keycustody/{program}/runtimes")).Select(Path.GetFileName));
        }

        // systemd-analyze verify resolves ExecStart inside the root: here it is the installed daemon, not a stub. ExecReload's
        // /bin/kill is the host's (procps), copied in.
        (exit, text) = ChildProcess.Run("cp", ["-a", "--no-clobber", "/usr/lib/systemd/system/.", Installed("usr/lib/systemd/system")]);
        Assert.True(exit == 0, text);
        Directory.CreateDirectory(Installed("bin"));
        File.Copy("/bin/kill", Installed("bin/kill"));
        (exit, text) = ChildProcess.Run("systemd-analyze", ["verify", "--man=no", "--root=" + Root, "keycustodyd.service", "keycustodyd.socket"], s => s.Environment["SYSTEMD_COLORS"] = "0");
        Assert.True(exit == 0 && text.Length == 0, $"systemd-analyze verify exited {exit}:\n{text}");

        await TheInstalledDaemonServesTheInstalledCli();
    }

    /// <summary>
    /// keycustodyd --simulator from the installed tree, ready when it says so on $NOTIFY_SOCKET (as under the unit's
    /// Type=notify), then the installed CLI asks it for the tokens' status, and the installed keycustody-hwsim its cards'.
    /// </summary>
    private async Task TheInstalledDaemonServesTheInstalledCli()
    {
        var state = Directory.CreateDirectory(Path.Combine(_work, "state")).FullName;
        File.SetUnixFileMode(state, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var socket = Path.Combine(_work, "keycustodyd.sock");
        var notifyPath = Path.Combine(_work, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

        var start = new ProcessStartInfo(Installed("usr/sbin/keycustodyd")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--simulator", "--no-demo-keys", "--state-dir", state, "--socket", socket })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["NOTIFY_SOCKET"] = notifyPath;
        using var daemon = Process.Start(start)!;
        var log = new StringBuilder();
        daemon.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        daemon.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        try
        {
            // The deadline is a backstop for a daemon that never says it is ready; readiness is the datagram.
            // STATUS= lines may come first; READY=1 carries the status as of readiness.
            var buffer = new byte[1024];
            var exited = daemon.WaitForExitAsync();
            var backstop = Task.Delay(TimeSpan.FromMinutes(3));
            string datagram;
            do
            {
                var received = notify.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask();
                var first = await Task.WhenAny(received, exited, backstop);
                Assert.True(first == received, $"the installed keycustodyd did not report READY=1 ({(daemon.HasExited ? "exited " + daemon.ExitCode : "still running")}):\n{Log()}");
                datagram = Encoding.UTF8.GetString(buffer, 0, received.Result);
            }
            while (!datagram.StartsWith("READY=1", StringComparison.Ordinal));
            Assert.StartsWith("READY=1\nSTATUS=serving, 2 of 2 tokens present", datagram, StringComparison.Ordinal);

            var (exit, text) = ChildProcess.Run(Installed("usr/bin/keycustody"), ["--socket", socket, "status"]);
            output.WriteLine(text);
            Assert.True(exit == 0, $"the installed keycustody status exited {exit}:\n{text}\ndaemon:\n{Log()}");
            Assert.Contains("sim-master", text);

            (exit, text) = ChildProcess.Run(Installed("usr/bin/keycustody-hwsim"), ["status", "--control", Path.Combine(state, "simulator-control.sock")]);
            output.WriteLine(text);
            Assert.True(exit == 0, $"the installed keycustody-hwsim status exited {exit}:\n{text}\ndaemon:\n{Log()}");
            Assert.Contains("10000001", text, StringComparison.Ordinal);
        }
        finally
        {
            if (!daemon.HasExited)
            {
                _ = Posix.Kill(daemon.Id, 15);
                if (!daemon.WaitForExit(30_000))
                {
                    daemon.Kill();
                }
            }
        }

        Assert.True(daemon.ExitCode == 0, $"keycustodyd exited {daemon.ExitCode} after SIGTERM:\n{Log()}");

        string Log()
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    private string Installed(string path) => Path.Combine(Root, path.TrimStart('/'));

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

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
