using System.Diagnostics;

namespace KeyCustody.Daemon.Tests.Security;

/// <summary>Runs a program under a Python script that sets a process-wide rule on itself and then execs the program.</summary>
internal static class PythonLauncher
{
    /// <summary><paramref name="program"/> (its arguments and environment) exec'd by Debian's python3 running <paramref name="script"/>.</summary>
    public static ProcessStartInfo Under(string script, ProcessStartInfo program)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", script, program.FileName }.Concat(program.ArgumentList))
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, v) in program.Environment)
        {
            start.Environment[name] = v;
        }

        return start;
    }
}
