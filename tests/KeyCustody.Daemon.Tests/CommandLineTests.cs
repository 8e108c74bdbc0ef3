using System.Text.RegularExpressions;
using KeyCustody.Daemon.Hosting;
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
        foreach (var option in new[] { "--config FILE", "--simulator", "--no-demo-keys", "--state-dir DIR", "--socket PATH", "--section:setting=value", "--check-config", "--accept-audit-gap N", "-h, -?, --help", "--version", "KEYCUSTODYD_section__setting", "Exit codes:" })
        {
            Assert.Contains(option, stdout, StringComparison.Ordinal);
        }

        Assert.Contains("leave the simulated cards blank", stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// The usage lines are the parser's: every option the help describes is in them; the options that go with either
    /// source of settings (--state-dir, --socket, --accept-audit-gap, a setting) are on every form that runs or checks
    /// (the --config form lacked the first three, every form --accept-audit-gap); and each form, with all it shows,
    /// parses to what it says.
    /// </summary>
    [Fact]
    public void The_usage_lines_name_every_option_and_parse()
    {
        var lines = DaemonCommandLine.Help.Split('\n');
        var usage = lines.SkipWhile(l => l != "Usage:").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        var forms = new List<string>();
        foreach (var line in usage)
        {
            if (line.StartsWith("  keycustodyd ", StringComparison.Ordinal))
            {
                forms.Add(line.Trim());
            }
            else
            {
                forms[^1] += " " + line.Trim();
            }
        }

        var described = lines.SkipWhile(l => l != "Options:").Skip(1).TakeWhile(l => l.Length > 0)
            .Select(l => Regex.Match(l, @"^  (-[^\s,]+(?:, -[^\s,]+)*)"))
            .Where(m => m.Success)
            .SelectMany(m => m.Groups[1].Value.Split(", "))
            .ToList();
        Assert.Contains("--accept-audit-gap", described);
        foreach (var option in described)
        {
            Assert.True(forms.Any(f => Names(f, option)), $"the usage lacks {option}:\n{string.Join('\n', forms)}");
        }

        var running = forms.Where(f => f.Contains("--config FILE", StringComparison.Ordinal) || f.Contains("--simulator", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, running.Count);
        foreach (var form in running)
        {
            foreach (var option in new[] { "[--state-dir DIR]", "[--socket PATH]", "[--accept-audit-gap N]", "[--section:setting=value ...]" })
            {
                Assert.Contains(option, form, StringComparison.Ordinal);
            }
        }

        foreach (var form in forms)
        {
            foreach (var words in Expanded(form))
            {
                var parsed = DaemonCommandLine.Parse(words);
                var expected = words.Contains("--version") ? DaemonAction.Version
                    : words.Any(w => w is "-h" or "-?" or "--help") ? DaemonAction.Help
                    : words.Contains("--check-config") ? DaemonAction.CheckConfig
                    : DaemonAction.Run;
                Assert.Equal(expected, parsed.Action);
                if (expected is DaemonAction.Run or DaemonAction.CheckConfig)
                {
                    Assert.Equal(("/tmp/state", "/tmp/k.sock", 3L, "--listen:socketMode=0640"), (parsed.StateDirectory, parsed.Socket, parsed.AcceptAuditGap, parsed.Overrides.Single()));
                    Assert.Equal(words.Contains("--config") ? "/etc/k.json" : null, parsed.ConfigFile);
                    Assert.Equal(words.Contains("--no-demo-keys"), !parsed.DemoKeys);
                }
            }
        }

        static bool Names(string form, string option) => Regex.IsMatch(form, @"(?<![\w-])" + Regex.Escape(option) + @"(?![\w-])");

        // Every optional part taken, each alternative in turn, the placeholders given values.
        static IEnumerable<string[]> Expanded(string form)
        {
            var words = form.Replace("[", string.Empty, StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal).Replace(" ...", string.Empty, StringComparison.Ordinal)
                .Replace("FILE", "/etc/k.json", StringComparison.Ordinal).Replace("DIR", "/tmp/state", StringComparison.Ordinal).Replace("PATH", "/tmp/k.sock", StringComparison.Ordinal)
                .Replace("--accept-audit-gap N", "--accept-audit-gap 3", StringComparison.Ordinal).Replace("--section:setting=value", "--listen:socketMode=0640", StringComparison.Ordinal)
                ["keycustodyd ".Length..];
            var group = Regex.Match(words, @"\(([^)]*)\)");
            var alternatives = group.Success
                ? group.Groups[1].Value.Split(" | ").Select(a => words.Remove(group.Index, group.Length).Insert(group.Index, a))
                : words.Split(" | ");
            return alternatives.Select(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
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
