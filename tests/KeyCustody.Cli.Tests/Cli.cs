using System.Diagnostics;
using System.Text;

namespace KeyCustody.Cli.Tests;

/// <summary>Runs the real keycustody binary (built next to the tests) as a child process.</summary>
internal static class Cli
{
    public sealed record Result(int ExitCode, byte[] Stdout, string Stderr)
    {
        public string Out => Encoding.UTF8.GetString(Stdout);

        public string[] ErrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Result Run(byte[]? stdin, params string[] args) => RunWith(_ => { }, stdin, args);

    /// <summary>As <see cref="Run(byte[], string[])"/>, with <paramref name="environment"/> changing the child's environment first.</summary>
    public static Result RunWith(Action<IDictionary<string, string?>> environment, byte[]? stdin, params string[] args)
    {
        var dll = KeyCustody.Tests.Shared.Binaries.Cli;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        environment(psi.Environment);
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = Task.Run(() =>
        {
            using var ms = new MemoryStream();
            p.StandardOutput.BaseStream.CopyTo(ms);
            return ms.ToArray();
        });
        var stderr = p.StandardError.ReadToEndAsync();
        using (var input = p.StandardInput.BaseStream)
        {
            if (stdin is not null)
            {
                input.Write(stdin);
            }
        }

        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("keycustody did not finish");
        }

        return new Result(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    public static Result Run(string stdin, params string[] args) => Run(Encoding.UTF8.GetBytes(stdin), args);

    /// <summary>Asserts the bad-input contract: exit 2, nothing on stdout, exactly one 'error: ' line on stderr.</summary>
    public static void AssertBadInput(Result r, string? contains = null)
    {
        Xunit.Assert.Equal(2, r.ExitCode);
        Xunit.Assert.Empty(r.Stdout);
        var lines = r.ErrLines;
        Xunit.Assert.Single(lines);
        Xunit.Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        if (contains is not null)
        {
            Xunit.Assert.Contains(contains, lines[0], StringComparison.Ordinal);
        }
    }
}
