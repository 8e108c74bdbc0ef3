using System.Diagnostics;

namespace KeyCustody.HwSim.Tests.Cli;

/// <summary>keycustody-hwsim's usage errors follow the keycustody CLI: exit 2, one 'error:' line, nothing on stdout (it printed its whole help and exited 1).</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("error: Option '--vpcd' is required (keycustody-hwsim run --help)", "run")]
    [InlineData("error: Option '--control' is required (keycustody-hwsim touch --help)", "touch")]
    [InlineData("error: 'foo' is not a command of keycustody-hwsim; its commands are run, root-cert, touch, ", "foo")]
    [InlineData("error: Argument 'sideways' not recognized. Must be one of: 'auto' 'manual' 'never'", "mode", "sideways", "--control", "/nowhere")]
    [InlineData("error: Argument 'des' not recognized", "run", "--vpcd", "localhost:1", "--mgm-algorithm", "des")]
    [InlineData("error: Argument 'yubikey-4' not recognized. Must be one of: 'yubikey-5.7' 'yubikey-5.4.3' 'nitrokey-3'", "run", "--vpcd", "localhost:1", "--profile", "yubikey-4")]
    public async Task A_usage_problem_is_one_line_and_exit_2(string message, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "keycustody-hwsim.dll"));
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "keycustody-hwsim hung");
        Assert.Equal(2, process.ExitCode);
        Assert.Empty(await stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(message, line, StringComparison.Ordinal);
    }
}
