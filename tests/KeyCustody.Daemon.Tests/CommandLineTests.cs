using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>keycustodyd's command line and environment: help, version, a file that is not JSON, the CLI's variables.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_lists_every_option_and_what_it_does(string flag)
    {
        await using var d = DaemonProcess.Create();
        var (exit, stdout, stderr) = d.RunToEnd(flag);
        Assert.True(exit == 0, stderr);
        foreach (var option in new[] { "--config FILE", "--simulator", "--no-demo-keys", "--state-dir DIR", "--socket PATH", "--section:setting=value", "--check-config", "-h, --help", "--version", "KEYCUSTODYD_section__setting", "Exit codes:" })
        {
            Assert.Contains(option, stdout, StringComparison.Ordinal);
        }

        Assert.Contains("leave the simulated cards blank", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_is_printed()
    {
        await using var d = DaemonProcess.Create();
        var (exit, stdout, stderr) = d.RunToEnd("--version");
        Assert.True(exit == 0, stderr);
        Assert.Matches(@"^keycustodyd \d+\.\d+\.\d+", stdout);
    }

    /// <summary>Exit 2 (the unit's RestartPreventExitStatus) and one line, not exit 1 and the JSON parser's stack trace.</summary>
    [Fact]
    public async Task A_configuration_file_that_is_not_JSON_is_one_line_with_its_line_and_column()
    {
        await using var d = DaemonProcess.Create();
        File.WriteAllText(d.ConfigFile, "{\n  \"stateDirectory\": \"/tmp\",\n  \"listen\": { \"socketMode\": \"0660\" }\n  \"tokens\": []\n}\n");
        File.SetUnixFileMode(d.ConfigFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (exit, stdout, stderr) = d.RunToEnd("--config", d.ConfigFile);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains($"{d.ConfigFile}, line 4, column 3: ", line, StringComparison.Ordinal);
        Assert.Contains("Expected either ',', '}', or ']'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", line, StringComparison.Ordinal);
    }

    /// <summary>KEYCUSTODY_SOCKET is the CLI's: exported in a shell, it stopped the daemon ("SOCKET: no such setting").</summary>
    [Fact]
    public async Task The_CLIs_socket_variable_does_not_concern_the_daemon()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new { tokens = new[] { Software(d, "soft") }, access = new[] { Rule(Me, ["*"], "sign") } });
        d.Environment["KEYCUSTODY_SOCKET"] = "/run/somewhere/else.sock";
        await d.StartAsync();
        using var client = d.Client();
        Assert.Empty((await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys);
    }

    /// <summary>The daemon's settings moved to KEYCUSTODYD_; one still spelt the old way is refused, naming its new name.</summary>
    [Fact]
    public async Task A_setting_in_the_old_environment_spelling_is_refused_with_its_new_name()
    {
        await using var d = DaemonProcess.Create();
        d.Configure(new { tokens = new[] { Software(d, "soft") } });
        d.Environment["KEYCUSTODY_listen__socketMode"] = "0600";
        var (exit, output) = await d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("KEYCUSTODY_listen__socketMode is the old spelling of a daemon setting; rename it KEYCUSTODYD_listen__socketMode", output, StringComparison.Ordinal);
    }
}
