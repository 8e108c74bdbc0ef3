using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>
/// The daemon's own files: what it creates is private to it, and a state directory or a file the daemon keeps there
/// that other users could read or change is refused at start with the path, the mode and the fix. A file of the
/// operator's in the state directory (a log) is not the daemon's business.
/// </summary>
public sealed class StateFileTests
{
    private const UnixFileMode Loose = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.GroupWrite;

    private static object Config(DaemonProcess d) => new
    {
        tokens = new[] { Software(d, "soft") },
        keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
        access = new[] { Rule(Me, ["*"], "sign", "admin") },
    };

    [Fact]
    public async Task Every_file_the_daemon_writes_is_private_to_it()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(Config(d));
        await d.StartAsync();
        using (var client = d.Client())
        {
            await Generate(client, "soft", "srv");
            Assert.Null((await Collect(client.Custody.SignJson(SignRequest("server", "{\"a\":1}"u8.ToArray())))).Error);
        }

        var files = Directory.EnumerateFiles(d.StateDirectory, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(d.AuditLog, files);
        Assert.Contains(Path.Combine(d.StateDirectory, "audit-anchor.json"), files);
        Assert.All(files, f => Assert.True((File.GetUnixFileMode(f) & (Loose | UnixFileMode.GroupRead)) == 0, $"{f}: mode {Convert.ToString((int)File.GetUnixFileMode(f), 8)}"));
        Assert.All(Directory.EnumerateDirectories(d.StateDirectory, "*", SearchOption.AllDirectories).Append(d.StateDirectory),
            dir => Assert.True((File.GetUnixFileMode(dir) & Loose) == 0, $"{dir}: mode {Convert.ToString((int)File.GetUnixFileMode(dir), 8)}"));
    }

    [Fact]
    public async Task A_state_directory_others_can_enter_is_refused()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(Config(d));
        File.SetUnixFileMode(d.StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"stateDirectory: {d.StateDirectory} is accessible to other users (mode 705)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_audit_log_others_can_write_is_refused_and_left_as_it_was()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(Config(d));
        await d.StartAsync();
        d.Kill();

        File.SetUnixFileMode(d.AuditLog, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        var operatorsLog = Path.Combine(d.StateDirectory, "daemon.log");
        File.WriteAllText(operatorsLog, "kept by the operator\n");
        File.SetUnixFileMode(operatorsLog, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var before = File.ReadAllBytes(d.AuditLog);
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"audit.path: {d.AuditLog} is open to other users (mode 606); chmod 0600", output, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(d.AuditLog));
        Assert.DoesNotContain("daemon.log", output, StringComparison.Ordinal);

        // The audit log put right, the daemon starts with the operator's log still readable by others.
        File.SetUnixFileMode(d.AuditLog, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await d.StartAsync();
        d.Kill();

        // The anchor of the log's head is one of the daemon's files too.
        var anchor = Path.Combine(d.StateDirectory, "audit-anchor.json");
        File.SetUnixFileMode(anchor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite);
        (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"stateDirectory: {anchor} is open to other users (mode 620)", output, StringComparison.Ordinal);
    }
}
