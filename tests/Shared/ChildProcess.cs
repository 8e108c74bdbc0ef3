using System.Diagnostics;

namespace KeyCustody.Tests.Shared;

/// <summary>Runs a program to its end, as the tests run the CLI, the simulator and Debian's tools.</summary>
internal static class ChildProcess
{
    /// <summary>The exit code, and standard output followed by standard error. <paramref name="configure"/> may set the environment.</summary>
    public static (int ExitCode, string Output) Run(string program, IEnumerable<string> args, Action<ProcessStartInfo>? configure = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        configure?.Invoke(start);
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }
}
