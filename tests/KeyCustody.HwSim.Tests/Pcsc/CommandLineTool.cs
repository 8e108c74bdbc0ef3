using System.Diagnostics;
using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// A vendor tool (yubico-piv-tool, ykman) run as a child process against the tests' private pcscd: its exit code is
/// checked against what the test expects, and its output (stdout and stderr) returned.
/// </summary>
internal sealed class CommandLineTool
{
    private readonly PrivatePcscd _pcscd;
    private readonly string _program;
    private readonly IReadOnlyList<string> _leading;
    private readonly IReadOnlyDictionary<string, string> _environment;

    public CommandLineTool(PrivatePcscd pcscd, string program, IReadOnlyList<string> leadingArguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        _pcscd = pcscd;
        _program = program;
        _leading = leadingArguments;
        _environment = environment ?? new Dictionary<string, string>();
    }

    public string Run(params string[] arguments) => Execute(expectSuccess: true, stdin: null, arguments);

    public string RunFailing(params string[] arguments) => Execute(expectSuccess: false, stdin: null, arguments);

    public string RunWithInput(string stdin, params string[] arguments) => Execute(expectSuccess: true, stdin, arguments);

    private string Execute(bool expectSuccess, string? stdin, string[] arguments)
    {
        var start = new ProcessStartInfo(_program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        _pcscd.AddTo(start);
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        foreach (var argument in _leading.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), $"{_program} hung");
        var text = output.Result + error.Result;
        Assert.True(
            expectSuccess == (process.ExitCode == 0),
            $"{Path.GetFileName(_program)} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{text}");
        return text;
    }
}
